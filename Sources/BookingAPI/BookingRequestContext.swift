import Hummingbird
import Logging
import NIOCore

/// The per-request context: Hummingbird's core plus the client's address and, once authenticated,
/// the caller.
public struct BookingRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The TCP peer; the client address comes from `X-Forwarded-For` only when this is a trusted proxy.
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Request bodies larger than this are refused with 413 before they are decoded.
    public var maxUploadSize: Int { 64 * 1024 }
}
