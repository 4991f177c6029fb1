#include "dtls/keylog.hpp"

#include <fstream>
#include <memory>
#include <mutex>

#include <floe/error.hpp>

namespace floe::dtls {

std::function<void(std::string_view line)> keylog_to_file(const std::string& path) {
    struct File {
        std::mutex mutex;  // several transports on several runtimes may share one key log
        std::ofstream out;
    };
    auto file = std::make_shared<File>();
    file->out.open(path, std::ios::app);
    if (!file->out) throw InvalidArgumentError("cannot open the key log file '" + path + "'");
    return [file](std::string_view line) {
        std::lock_guard lock(file->mutex);
        file->out << line << '\n';
        file->out.flush();
    };
}

}  // namespace floe::dtls
