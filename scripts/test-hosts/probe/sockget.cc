// sockget SOCKET PATH — GET PATH from an HTTP server on a unix socket (dockerd) and print the body; exit 0 on 200.
//
// A stand-in for the host-built collector in the cgroup-v2 test host's smoke scenario: it is built on the host and
// linked dynamically against what the collector links (libnanomsg, zlib, libstdc++/libgcc_s, libm, libc), so running
// it in the guest, and in a container there, shows which shared libraries a host-built binary needs.
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <zlib.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
    if (argc != 3) {
        std::cerr << "usage: sockget SOCKET PATH\n";
        return 2;
    }
    int nn = nn_socket(AF_SP, NN_PUSH);
    if (nn < 0) {
        std::cerr << "nn_socket: " << nn_strerror(nn_errno()) << "\n";
        return 1;
    }
    nn_close(nn);
    std::cerr << "sockget: libnanomsg ok, zlib " << zlibVersion() << ", libm " << std::sqrt(2.0) << "\n";

    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        return 1;
    }
    // HTTP/1.0: no chunked body, the server closes the connection after the response.
    std::string request = std::string("GET ") + argv[2] + " HTTP/1.0\r\nHost: docker\r\n\r\n";
    for (size_t off = 0; off < request.size();) {
        ssize_t n = write(fd, request.data() + off, request.size() - off);
        if (n <= 0) { std::perror("write"); return 1; }
        off += size_t(n);
    }
    std::string response;
    char buf[65536];
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) response.append(buf, size_t(n));
    close(fd);
    size_t head = response.find("\r\n\r\n");
    if (head == std::string::npos) {
        std::cerr << "no HTTP response\n";
        return 1;
    }
    std::string status = response.substr(0, response.find("\r\n"));
    std::cerr << "sockget: " << status << "\n";
    std::cout << response.substr(head + 4);
    return status.find(" 200 ") != std::string::npos ? 0 : 1;
}
