// Test-only code: Foundation for files.
import Foundation

/// Certificates for a TLS-protected dockerd, made with the openssl CLI the way Docker's documentation ("Protect the
/// Docker daemon socket") makes them: a CA, a server certificate for 127.0.0.1 and localhost, a client certificate
/// (extendedKeyUsage clientAuth), and a second, unrelated CA with its own client certificate for the failure cases.
/// The client directories are laid out as `DOCKER_CERT_PATH` expects: `ca.pem`, `cert.pem`, `key.pem`.
public struct TestCertificates: Sendable {
    /// Everything lives here; ``remove()`` deletes it.
    public let root: String

    /// The daemon's files: `--tlscacert`, `--tlscert`, `--tlskey`.
    public var serverCA: String { root + "/server/ca.pem" }
    public var serverCert: String { root + "/server/cert.pem" }
    public var serverKey: String { root + "/server/key.pem" }
    /// A good `DOCKER_CERT_PATH`: the CA and a client pair it signed.
    public var client: String { root + "/client" }
    /// `DOCKER_CERT_PATH` whose `ca.pem` is another CA (the daemon's certificate does not verify).
    public var wrongCA: String { root + "/wrong-ca" }
    /// `DOCKER_CERT_PATH` with the right CA and a client pair signed by another CA (the daemon refuses it).
    public var foreignClient: String { root + "/foreign-client" }
    /// `DOCKER_CERT_PATH` with only `ca.pem` (no client certificate).
    public var caOnly: String { root + "/ca-only" }

    /// Makes all of it (a few hundred milliseconds of openssl).
    public static func make() async throws -> TestCertificates {
        let root = NSTemporaryDirectory() + "dl-tls-\(UInt32.random(in: 0...UInt32.max))"
        for dir in ["", "/server", "/client", "/wrong-ca", "/foreign-client", "/ca-only", "/work"] {
            try FileManager.default.createDirectory(atPath: root + dir, withIntermediateDirectories: true)
        }
        let certs = TestCertificates(root: root)
        let w = root + "/work"
        let script = """
            set -e
            cd '\(w)'
            ca() { openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 2 -subj "/CN=$1" -keyout "$1-key.pem" -out "$1.pem" 2>/dev/null; }
            leaf() { # name ca subject extfile
                openssl req -new -newkey rsa:2048 -nodes -subj "/CN=$3" -keyout "$1-key.pem" -out "$1.csr" 2>/dev/null
                openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2-key.pem" -CAcreateserial -days 2 -sha256 -extfile "$4" -out "$1.pem" 2>/dev/null
            }
            printf 'subjectAltName = IP:127.0.0.1,DNS:localhost\\nextendedKeyUsage = serverAuth\\n' > server.ext
            printf 'extendedKeyUsage = clientAuth\\n' > client.ext
            ca test-ca
            ca other-ca
            leaf server test-ca 127.0.0.1 server.ext
            leaf client test-ca docker-librato client.ext
            leaf foreign other-ca docker-librato client.ext
            cp test-ca.pem ../server/ca.pem; cp server.pem ../server/cert.pem; cp server-key.pem ../server/key.pem
            cp test-ca.pem ../client/ca.pem; cp client.pem ../client/cert.pem; cp client-key.pem ../client/key.pem
            cp other-ca.pem ../wrong-ca/ca.pem; cp client.pem ../wrong-ca/cert.pem; cp client-key.pem ../wrong-ca/key.pem
            cp test-ca.pem ../foreign-client/ca.pem; cp foreign.pem ../foreign-client/cert.pem; cp foreign-key.pem ../foreign-client/key.pem
            cp test-ca.pem ../ca-only/ca.pem
            chmod 0644 ../*/*.pem
            """
        let (status, _, stderr) = try await TestProcess.run("/bin/sh", ["-c", script], timeout: .seconds(60))
        guard status == 0 else {
            certs.remove()
            throw CommandFailed(command: ["openssl (test certificates)"], status: status, stderr: stderr)
        }
        return certs
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: root)
    }
}
