import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A TCP listener on a loopback port that runs a script for each connection it accepts: the other
/// end of a protocol that says exactly the (broken) bytes a test wants, which no real server would.
///
/// Sockets are blocking and each connection runs on its own thread, never on the cooperative pool
/// (two threads on the CI box) that the code under test needs.
public final class ScriptedPeer: Sendable {
    /// One accepted connection.
    public final class Connection: Sendable {
        let fd: Int32
        private let buffered = Mutex<[UInt8]>([])
        private let sent = Atomic<Int>(0)

        init(fd: Int32) { self.fd = fd }

        /// Bytes written so far.
        public var bytesSent: Int { sent.load(ordering: .relaxed) }

        /// Writes all of `bytes`; false once the peer has gone (reset or closed).
        @discardableResult
        public func send(_ bytes: [UInt8]) -> Bool {
            var offset = 0
            while offset < bytes.count {
                let count = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { return false }
                offset += count
                sent.add(count, ordering: .relaxed)
            }
            return true
        }

        @discardableResult
        public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

        /// Reads until `terminator` (returned without it), or `nil` when the connection ends first.
        public func read(until terminator: [UInt8]) -> [UInt8]? {
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while true {
                let found: [UInt8]? = buffered.withLock { data in
                    guard let range = data.firstRange(of: terminator) else { return nil }
                    let head = Array(data[..<range.lowerBound])
                    data.removeSubrange(..<range.upperBound)
                    return head
                }
                if let found { return found }
                let count = recv(fd, &chunk, chunk.count, 0)
                guard count > 0 else { return nil }
                buffered.withLock { $0.append(contentsOf: chunk[..<count]) }
            }
        }

        /// One CRLF-terminated line.
        public func readLine() -> String? { read(until: [13, 10]).map { String(decoding: $0, as: UTF8.self) } }

        /// Reads exactly `count` bytes (fewer if the connection ends).
        public func read(count: Int) -> [UInt8] {
            var result: [UInt8] = buffered.withLock { data in
                let head = Array(data.prefix(count))
                data.removeFirst(head.count)
                return head
            }
            var chunk = [UInt8](repeating: 0, count: 16 * 1024)
            while result.count < count {
                let got = recv(fd, &chunk, min(chunk.count, count - result.count), 0)
                guard got > 0 else { break }
                result.append(contentsOf: chunk[..<got])
            }
            return result
        }

        /// An HTTP/1.1 request: the head's lines, then the body by `Content-Length`.
        public func readHTTPRequest() -> (head: [String], body: [UInt8])? {
            guard let head = read(until: [13, 10, 13, 10]) else { return nil }
            let lines = String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n")
            let length = lines.lazy.compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].trimmingCharacters(in: .whitespaces))
            }.first ?? 0
            return (lines, read(count: length))
        }

        /// Waits until the other end closes (or `seconds` pass); true if it closed.
        public func waitForClose(seconds: Int) -> Bool {
            var timeout = timeval(tv_sec: seconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = recv(fd, &chunk, chunk.count, 0)
                if count == 0 { return true }
                if count < 0 { return errno != EAGAIN && errno != EWOULDBLOCK }
            }
        }
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let listener: Int32
    private let accepted = Atomic<Int>(0)
    private let finished = Atomic<Int>(0)
    private let open = Mutex<[Int32]>([])
    private let stopped = Atomic<Bool>(false)

    /// How many connections were accepted, and how many scripts have returned.
    public var connectionCount: Int { accepted.load(ordering: .relaxed) }
    public var finishedCount: Int { finished.load(ordering: .relaxed) }

    /// Listens and runs `script` on every connection; the connection is closed when the script returns.
    public init(_ script: @escaping @Sendable (Connection) -> Void) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PeerError("socket() failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw PeerError("bind/listen failed")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                guard client >= 0 else { return }  // the listener was shut down
                accepted.add(1, ordering: .relaxed)
                open.withLock { $0.append(client) }
                Thread.detachNewThread { [self] in
                    script(Connection(fd: client))
                    open.withLock { $0.removeAll { $0 == client } }
                    close(client)
                    finished.add(1, ordering: .relaxed)
                }
            }
        }
    }

    /// Stops accepting and cuts every open connection (their scripts then see the connection end).
    public func stop() {
        // Once only: a second close could hit a descriptor number another test has since been given.
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        open.withLock { fds in for fd in fds { shutdown(fd, Int32(SHUT_RDWR)) } }
    }

    deinit { stop() }
}

public struct PeerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
