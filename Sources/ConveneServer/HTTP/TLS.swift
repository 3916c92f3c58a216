import ConveneCore
import HummingbirdTLS
import NIOSSL

extension Settings {
    /// The server's TLS configuration from `tls.certificate_path` and `tls.key_path`, or nil when
    /// they are not set; a file that cannot be read or parsed is named in the error.
    func tlsConfiguration() throws(ConveneError) -> TLSConfiguration? {
        guard servesTLS else { return nil }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tlsCertificatePath)
        } catch {
            throw .invalid("tls.certificate_path", "tls.certificate_path: \(tlsCertificatePath) is not a readable PEM certificate (\(error)).")
        }
        guard !chain.isEmpty else {
            throw .invalid("tls.certificate_path", "tls.certificate_path: \(tlsCertificatePath) holds no certificate.")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: tlsKeyPath, format: .pem)
        } catch {
            throw .invalid("tls.key_path", "tls.key_path: \(tlsKeyPath) is not a readable PEM private key (\(error)).")
        }
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
    }
}
