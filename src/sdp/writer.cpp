// The writer: CRLF lines in RFC 8866 order, attributes in model order, kept lines where the parser
// reads them back the same (session_description.hpp says where).
#include <floe/sdp/session_description.hpp>

#include <charconv>

namespace floe::sdp {

namespace {

void put_line(std::string& out, char type, std::string_view value) {
    out += type;
    out += '=';
    out += value;
    out += "\r\n";
}

void put_number(std::string& out, std::uint64_t value) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    (void)ec;
    out.append(buf, end);
}

void put_connection(std::string& out, const Connection& c) {
    out += "c=";
    out += c.network_type;
    out += ' ';
    out += c.address_type;
    out += ' ';
    out += c.address;
    out += "\r\n";
}

void put_bandwidths(std::string& out, const std::vector<Bandwidth>& bandwidths) {
    for (const auto& b : bandwidths) {
        out += "b=";
        out += b.type;
        out += ':';
        put_number(out, b.value);
        out += "\r\n";
    }
}

void put_origin(std::string& out, const Origin& o) {
    out += "o=";
    out += o.username;
    out += ' ';
    put_number(out, o.session_id);
    out += ' ';
    put_number(out, o.session_version);
    out += ' ';
    out += o.network_type;
    out += ' ';
    out += o.address_type;
    out += ' ';
    out += o.address;
    out += "\r\n";
}

// Lines kept as written, their type letter included.
void put_other_lines(std::string& out, const std::vector<std::string>& lines) {
    for (const auto& l : lines) {
        out += l;
        out += "\r\n";
    }
}

void put_attributes(std::string& out, const AttributeList& list) {
    for (const auto& a : list.attributes) {
        out += "a=";
        out += a.name;
        if (a.value) {
            out += ':';
            out += *a.value;
        }
        out += "\r\n";
    }
}

}  // namespace

void write(const SessionDescription& sd, std::string& out) {
    out += "v=";
    put_number(out, sd.version);
    out += "\r\n";
    if (sd.origin.as_written) {
        put_line(out, 'o', *sd.origin.as_written);
    } else {
        put_origin(out, sd.origin);
    }
    put_line(out, 's', sd.session_name);
    if (sd.information) put_line(out, 'i', *sd.information);
    if (sd.uri) put_line(out, 'u', *sd.uri);
    for (const auto& e : sd.emails)
        put_line(out, 'e', e);
    for (const auto& p : sd.phones)
        put_line(out, 'p', p);
    if (sd.connection) put_connection(out, *sd.connection);
    put_bandwidths(out, sd.bandwidths);
    for (const auto& t : sd.timings) {
        out += "t=";
        put_number(out, t.start);
        out += ' ';
        put_number(out, t.stop);
        out += "\r\n";
        for (const auto& r : t.repeats)
            put_line(out, 'r', r);
    }
    if (sd.zone) put_line(out, 'z', *sd.zone);
    if (sd.key) put_line(out, 'k', *sd.key);
    put_attributes(out, sd);
    // Last, after every line with a fixed place, so that a kept repeat (a second k=) comes after
    // the one that counts when the text is parsed again.
    put_other_lines(out, sd.other_lines);
    for (const auto& m : sd.media) {
        out += "m=";
        out += m.media;
        out += ' ';
        put_number(out, m.port);
        if (m.port_count) {
            out += '/';
            put_number(out, *m.port_count);
        }
        out += ' ';
        out += m.protocol;
        for (const auto& f : m.formats) {
            out += ' ';
            out += f;
        }
        out += "\r\n";
        if (m.title) put_line(out, 'i', *m.title);
        for (const auto& c : m.connections)
            put_connection(out, c);
        put_bandwidths(out, m.bandwidths);
        if (m.key) put_line(out, 'k', *m.key);
        put_attributes(out, m);
        put_other_lines(out, m.other_lines);
    }
}

std::string write(const SessionDescription& description) {
    std::string out;
    out.reserve(512 + 96 * (description.attributes.size() + [&] {
                          std::size_t n = 0;
                          for (const auto& m : description.media)
                              n += m.attributes.size();
                          return n;
                      }()));
    write(description, out);
    return out;
}

}  // namespace floe::sdp
