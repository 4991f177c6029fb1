// Interop on loopback: floe's sans-IO DTLS transport, driven here over a real UDP socket, against
// Debian's `openssl s_server -dtls1_2` and `openssl s_client -dtls1_2`, started by the test with
// certificates the test makes. Data flows both ways through the processes' stdin and stdout, and
// the key log lines OpenSSL writes for the session equal the ones floe's hook produced.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <floe/certificate.hpp>

#include "dtls/certificate.hpp"
#include "dtls/transport.hpp"

using namespace floe;
using namespace floe::dtls;
namespace fs = std::filesystem;

namespace {

// A child process with its stdin and stdout on pipes; stopped by PID when it goes out of scope.
class Child {
  public:
    explicit Child(std::vector<std::string> argv) {
        int in[2], out[2];
        REQUIRE(pipe(in) == 0);
        REQUIRE(pipe(out) == 0);
        pid_ = fork();
        REQUIRE(pid_ >= 0);
        if (pid_ == 0) {
            dup2(in[0], 0);
            dup2(out[1], 1);
            dup2(out[1], 2);
            close(in[1]);
            close(out[0]);
            std::vector<char*> args;
            for (auto& a : argv)
                args.push_back(a.data());
            args.push_back(nullptr);
            execvp(args[0], args.data());
            _exit(127);
        }
        close(in[0]);
        close(out[1]);
        stdin_ = in[1];
        stdout_ = out[0];
        fcntl(stdout_, F_SETFL, O_NONBLOCK);
    }
    ~Child() {
        close(stdin_);
        close(stdout_);
        kill(pid_, SIGTERM);
        for (int i = 0; i < 200; ++i) {  // up to 2 s, then force it
            if (waitpid(pid_, nullptr, WNOHANG) == pid_) return;
            poll(nullptr, 0, 10);
        }
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
    void write_line(const std::string& line) {
        const std::string text = line + "\n";
        CHECK(write(stdin_, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    }
    // Everything the process printed so far.
    const std::string& output() {
        char buffer[4096];
        ssize_t n;
        while ((n = read(stdout_, buffer, sizeof buffer)) > 0)
            output_.append(buffer, static_cast<std::size_t>(n));
        return output_;
    }
    int stdout_fd() const { return stdout_; }

  private:
    pid_t pid_ = -1;
    int stdin_ = -1;
    int stdout_ = -1;
    std::string output_;
};

struct UdpSocket {
    int fd = -1;
    UdpSocket() {
        fd = socket(AF_INET, SOCK_DGRAM, 0);
        REQUIRE(fd >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    }
    ~UdpSocket() { close(fd); }
    std::uint16_t port() const {
        sockaddr_in a{};
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        return ntohs(a.sin_port);
    }
};

std::uint16_t free_udp_port() {
    return UdpSocket().port();
}

struct TempDir {
    fs::path path;
    TempDir() {
        std::string pattern = (fs::temp_directory_path() / "floe-dtls-XXXXXX").string();
        REQUIRE(mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~TempDir() { fs::remove_all(path); }
};

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream(path) << text;
}

std::string read_file(const fs::path& path) {
    std::ostringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
}

// floe's transport on its own loopback UDP socket, and what it reported.
struct Session {
    UdpSocket sock;
    Transport t;
    sockaddr_in peer{};
    bool peer_known = false;  // a server learns its peer from the first datagram
    std::vector<Event> events;

    explicit Session(const Certificate& certificate, Config config = {})
        : t(certificate, std::move(config)) {}

    void set_peer(std::uint16_t port) {
        peer.sin_family = AF_INET;
        peer.sin_port = htons(port);
        peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        peer_known = true;
    }

    void send_all() {
        while (peer_known) {
            auto d = t.poll_transmit();
            if (!d) break;
            sendto(sock.fd, d->data(), d->size(), 0, reinterpret_cast<sockaddr*>(&peer),
                   sizeof peer);
        }
    }

    // Runs the transport on the socket until `done()` or 10 s, reading the child's output too.
    template <class Done>
    bool drive(Child& child, Done done) {
        const auto deadline = Clock::now() + 10s;
        while (Clock::now() < deadline) {
            send_all();
            while (auto e = t.poll_event())
                events.push_back(std::move(*e));
            (void)child.output();
            if (done()) return true;
            int wait_ms = 20;
            if (auto timeout = t.poll_timeout())
                wait_ms = static_cast<int>(std::clamp<long long>(
                    duration_cast<milliseconds>(*timeout - Clock::now()).count(), 0, 20));
            pollfd p{sock.fd, POLLIN, 0};
            if (poll(&p, 1, wait_ms) > 0) {
                std::uint8_t buffer[2048];
                sockaddr_in from{};
                socklen_t len = sizeof from;
                const ssize_t n = recvfrom(sock.fd, buffer, sizeof buffer, 0,
                                           reinterpret_cast<sockaddr*>(&from), &len);
                if (n > 0) {
                    if (!peer_known) {
                        peer = from;
                        peer_known = true;
                    }
                    t.handle_input(Clock::now(), ByteSpan(buffer, static_cast<std::size_t>(n)));
                }
            }
            t.handle_timeout(Clock::now());
        }
        return done();
    }
};

// A copy: the vector grows while the test goes on.
template <class T>
std::optional<T> find_event(const std::vector<Event>& events) {
    for (const auto& e : events)
        if (auto* p = std::get_if<T>(&e)) return *p;
    return std::nullopt;
}

bool received(const std::vector<Event>& events, const std::string& text) {
    for (const auto& e : events)
        if (auto* d = std::get_if<event::DataReceived>(&e);
            d && as_string(d->data).find(text) != std::string_view::npos)
            return true;
    return false;
}

// Writes `presented` as the PEM files openssl reads, and returns its s_client command line.
std::vector<std::string> s_client_command(const TempDir& dir, const Certificate& presented,
                                          std::uint16_t port, std::vector<std::string> extra = {}) {
    write_file(dir.path / "cert.pem", presented.certificate_pem());
    write_file(dir.path / "key.pem", presented.private_key_pem());
    std::vector<std::string> command{"openssl",
                                     "s_client",
                                     "-dtls1_2",
                                     "-connect",
                                     "127.0.0.1:" + std::to_string(port),
                                     "-cert",
                                     (dir.path / "cert.pem").string(),
                                     "-key",
                                     (dir.path / "key.pem").string(),
                                     "-mtu",
                                     "1200",
                                     "-ign_eof"};
    command.insert(command.end(), extra.begin(), extra.end());
    return command;
}

// Waits (bounded) until the child has printed `text` after position `from`.
bool wait_for_output(Child& child, const std::string& text, std::size_t from = 0) {
    const auto until = Clock::now() + 10s;
    while (child.output().find(text, from) == std::string::npos && Clock::now() < until) {
        pollfd p{child.stdout_fd(), POLLIN, 0};
        poll(&p, 1, 50);
    }
    return child.output().find(text, from) != std::string::npos;
}

}  // namespace

TEST_CASE("floe as DTLS client interoperates with openssl s_server -dtls1_2") {
    TempDir dir;
    const Certificate ours = Certificate::generate();
    const Certificate theirs = Certificate::generate();
    write_file(dir.path / "cert.pem", theirs.certificate_pem());
    write_file(dir.path / "key.pem", theirs.private_key_pem());
    const std::uint16_t port = free_udp_port();
    Child server({"openssl", "s_server", "-dtls1_2", "-accept", "127.0.0.1:" + std::to_string(port),
                  "-cert", (dir.path / "cert.pem").string(), "-key",
                  (dir.path / "key.pem").string(), "-Verify", "1", "-mtu", "1200", "-naccept", "1",
                  "-keylogfile", (dir.path / "keylog.txt").string()});
    REQUIRE_MESSAGE(wait_for_output(server, "ACCEPT"), server.output());

    std::vector<std::string> our_keylog;
    Config config;
    config.keylog = [&](std::string_view line) { our_keylog.emplace_back(line); };
    Session s(ours, config);
    s.set_peer(port);
    s.t.start(Clock::now(), Role::client, dtls::identity(theirs).fingerprint);
    REQUIRE_MESSAGE(s.drive(server, [&] { return s.t.state() != State::connecting; }),
                    server.output());
    REQUIRE_MESSAGE(s.t.state() == State::connected, server.output());
    const auto connected = find_event<event::Connected>(s.events);
    REQUIRE(connected.has_value());
    CHECK(connected->peer_fingerprint == theirs.fingerprint());
    CHECK(connected->cipher.rfind("ECDHE-ECDSA-", 0) == 0);
    CHECK(connected->srtp_profile.empty());  // s_server offered no use_srtp; floe connects anyway

    REQUIRE(s.t.send(as_bytes("ping from floe\n")));
    CHECK(s.drive(server,
                  [&] { return server.output().find("ping from floe") != std::string::npos; }));
    server.write_line("pong from openssl");
    CHECK(s.drive(server, [&] { return received(s.events, "pong from openssl"); }));

    // The key log: OpenSSL's line for this session is the one floe's hook wrote.
    REQUIRE(our_keylog.size() == 1);
    CHECK(read_file(dir.path / "keylog.txt").find(our_keylog[0]) != std::string::npos);

    s.t.close(Clock::now());
    s.send_all();
}

TEST_CASE("floe as DTLS server interoperates with openssl s_client -dtls1_2") {
    TempDir dir;
    const Certificate ours = Certificate::generate();
    const Certificate theirs = Certificate::generate();
    Session s(ours);
    s.t.start(Clock::now(), Role::server, dtls::identity(theirs).fingerprint);
    Child client(s_client_command(dir, theirs, s.sock.port()));
    REQUIRE_MESSAGE(s.drive(client, [&] { return s.t.state() != State::connecting; }),
                    client.output());
    REQUIRE_MESSAGE(s.t.state() == State::connected, client.output());
    const auto connected = find_event<event::Connected>(s.events);
    REQUIRE(connected.has_value());
    CHECK(connected->peer_fingerprint == theirs.fingerprint());
    CHECK(connected->srtp_profile.empty());  // s_client offered no use_srtp

    client.write_line("hello from s_client");
    CHECK(s.drive(client, [&] { return received(s.events, "hello from s_client"); }));
    REQUIRE(s.t.send(as_bytes("hello from floe\n")));
    CHECK_MESSAGE(
        s.drive(client,
                [&] { return client.output().find("hello from floe") != std::string::npos; }),
        client.output());
    // s_client reports what it negotiated; it is what floe reports.
    CHECK(client.output().find(connected->cipher) != std::string::npos);

    // close_notify reaches s_client, which says so ("closed") and ends.
    const std::size_t before_close = client.output().size();
    s.t.close(Clock::now());
    s.send_all();
    CHECK_MESSAGE(wait_for_output(client, "closed", before_close), client.output());
}

TEST_CASE("openssl s_client with a certificate other than the announced one is refused") {
    TempDir dir;
    const Certificate ours = Certificate::generate();
    const Certificate announced = Certificate::generate();
    const Certificate presented = Certificate::generate();
    Session s(ours);
    s.t.start(Clock::now(), Role::server, dtls::identity(announced).fingerprint);
    Child client(s_client_command(dir, presented, s.sock.port()));
    REQUIRE(s.drive(client, [&] { return s.t.state() != State::connecting; }));
    CHECK(s.t.state() == State::failed);
    const auto failed = find_event<event::Failed>(s.events);
    REQUIRE(failed.has_value());
    CHECK(failed->reason.find("certificate fingerprint mismatch") == 0);
    CHECK(!find_event<event::Connected>(s.events));
    CHECK(!find_event<event::DataReceived>(s.events));
}

TEST_CASE("each browser cipher suite is negotiated with openssl s_client") {
    for (const std::string suite :
         {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-CHACHA20-POLY1305"}) {
        CAPTURE(suite);
        TempDir dir;
        const Certificate ours = Certificate::generate();
        const Certificate theirs = Certificate::generate();
        Session s(ours);
        s.t.start(Clock::now(), Role::server, dtls::identity(theirs).fingerprint);
        Child client(s_client_command(dir, theirs, s.sock.port(), {"-cipher", suite}));
        REQUIRE_MESSAGE(s.drive(client, [&] { return s.t.state() != State::connecting; }),
                        client.output());
        REQUIRE_MESSAGE(s.t.state() == State::connected, client.output());
        CHECK(s.t.cipher() == suite);
        client.write_line("over " + suite);
        CHECK(s.drive(client, [&] { return received(s.events, "over " + suite); }));
    }
}

// RFC 5764: floe offers use_srtp as a client and answers it as a server; whichever profile of its
// list the peer wants is negotiated, and data still flows through floe's own record layer.
TEST_CASE("use_srtp is negotiated with openssl s_server -use_srtp, in each profile floe offers") {
    for (const std::string profile : {"SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"}) {
        CAPTURE(profile);
        TempDir dir;
        const Certificate ours = Certificate::generate();
        const Certificate theirs = Certificate::generate();
        write_file(dir.path / "cert.pem", theirs.certificate_pem());
        write_file(dir.path / "key.pem", theirs.private_key_pem());
        const std::uint16_t port = free_udp_port();
        Child server({"openssl", "s_server", "-dtls1_2", "-accept",
                      "127.0.0.1:" + std::to_string(port), "-cert",
                      (dir.path / "cert.pem").string(), "-key", (dir.path / "key.pem").string(),
                      "-Verify", "1", "-mtu", "1200", "-naccept", "1", "-use_srtp", profile});
        REQUIRE_MESSAGE(wait_for_output(server, "ACCEPT"), server.output());
        Session s(ours);
        s.set_peer(port);
        s.t.start(Clock::now(), Role::client, dtls::identity(theirs).fingerprint);
        REQUIRE_MESSAGE(s.drive(server, [&] { return s.t.state() != State::connecting; }),
                        server.output());
        REQUIRE_MESSAGE(s.t.state() == State::connected, server.output());
        CHECK(s.t.srtp_profile() == profile);
        CHECK_MESSAGE(wait_for_output(server, "SRTP Extension negotiated, profile=" + profile),
                      server.output());
        REQUIRE(s.t.send(as_bytes("srtp client ping\n")));
        CHECK(s.drive(
            server, [&] { return server.output().find("srtp client ping") != std::string::npos; }));
    }
}

TEST_CASE("use_srtp is answered to openssl s_client -use_srtp") {
    for (const std::string offer :
         {"SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80",
          "SRTP_AES128_CM_SHA1_32:SRTP_AEAD_AES_128_GCM"}) {
        CAPTURE(offer);
        TempDir dir;
        const Certificate ours = Certificate::generate();
        const Certificate theirs = Certificate::generate();
        Session s(ours);
        s.t.start(Clock::now(), Role::server, dtls::identity(theirs).fingerprint);
        Child client(s_client_command(dir, theirs, s.sock.port(), {"-use_srtp", offer}));
        REQUIRE_MESSAGE(s.drive(client, [&] { return s.t.state() != State::connecting; }),
                        client.output());
        REQUIRE_MESSAGE(s.t.state() == State::connected, client.output());
        // floe's preference among what the client offered.
        const std::string expected = offer.find("SRTP_AES128_CM_SHA1_80") != std::string::npos
                                         ? "SRTP_AES128_CM_SHA1_80"
                                         : "SRTP_AEAD_AES_128_GCM";
        CHECK(s.t.srtp_profile() == expected);
        CHECK_MESSAGE(wait_for_output(client, "SRTP Extension negotiated, profile=" + expected),
                      client.output());
        client.write_line("srtp server hello");
        CHECK(s.drive(client, [&] { return received(s.events, "srtp server hello"); }));
    }
}
