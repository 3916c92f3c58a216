import ConveneRealtime
import Foundation
import Testing

@Suite("Presence board")
struct PresenceBoardTests {
    let start = Date(timeIntervalSince1970: 1_790_000_000)

    @Test("a first connection publishes online to the user's communities once; a second changes nothing")
    func online() {
        var board = PresenceBoard(grace: 10)
        board.connect(user: 1, name: "Ann", communities: [7, 3], connection: 100)
        #expect(board.flush(now: start) == [.init(user: 1, name: "Ann", communities: [3, 7], status: .online)])
        board.connect(user: 1, name: "Ann", communities: [7, 3], connection: 101)
        #expect(board.flush(now: start).isEmpty)
        #expect(board.snapshot(community: 3) == [.init(user: 1, name: "Ann", status: .online)])
        #expect(board.snapshot(community: 9).isEmpty)
    }

    @Test("a connected user who joins a community shows online there from the next flush; joining one they are in changes nothing")
    func joinWhileConnected() {
        var board = PresenceBoard(grace: 10)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 1)
        _ = board.flush(now: start)
        board.joined(user: 1, community: 7)
        #expect(board.flush(now: start) == [.init(user: 1, name: "Ann", communities: [3, 7], status: .online)])
        #expect(board.snapshot(community: 7).map(\.user) == [1])
        board.joined(user: 1, community: 7)
        #expect(board.flush(now: start).isEmpty)
        board.joined(user: 2, community: 7)
        #expect(board.flush(now: start).isEmpty, "nobody connected")
    }

    @Test("the last connection closing goes offline only after the grace period, and a reconnect within it shows nothing")
    func graceAndReconnect() {
        var board = PresenceBoard(grace: 10)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 100)
        _ = board.flush(now: start)
        board.disconnect(user: 1, connection: 100, now: start)
        #expect(board.nextDeadline == start.addingTimeInterval(10))
        #expect(board.flush(now: start.addingTimeInterval(5)).isEmpty)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 102)
        #expect(board.flush(now: start.addingTimeInterval(11)).isEmpty, "a quick reconnect flickered")
        board.disconnect(user: 1, connection: 102, now: start.addingTimeInterval(20))
        #expect(board.flush(now: start.addingTimeInterval(30)) == [.init(user: 1, name: "Ann", communities: [3], status: .offline)])
        #expect(board.snapshot(community: 3).isEmpty)
        #expect(board.nextDeadline == nil)
    }

    @Test("changes between flushes collapse: away and back is no change, away stays away")
    func coalescing() {
        var board = PresenceBoard(grace: 10)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 100)
        _ = board.flush(now: start)
        board.choose(user: 1, status: .away)
        board.choose(user: 1, status: .online)
        #expect(board.flush(now: start).isEmpty)
        board.choose(user: 1, status: .away)
        board.choose(user: 1, status: .offline)
        #expect(board.flush(now: start).map(\.status) == [.away])
        #expect(board.snapshot(community: 3).map(\.status) == [.away])
    }

    @Test("connecting and leaving before any flush, past the grace, publishes nothing")
    func neverSeen() {
        var board = PresenceBoard(grace: 1)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 100)
        board.disconnect(user: 1, connection: 100, now: start)
        #expect(board.flush(now: start.addingTimeInterval(2)).isEmpty)
    }

    @Test("a user online on another node stays online here when their connection to this node closes")
    func otherNodeKeepsUserOnline() {
        var board = PresenceBoard(grace: 0)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 100)
        #expect(board.flush(now: start).map(\.status) == [.online])
        #expect(board.takeAnnouncements() == [.init(user: 1, name: "Ann", communities: [3], status: .online)])
        board.remote(node: "b", changes: [.init(user: 1, name: "Ann", communities: [3], status: .online)])
        #expect(board.flush(now: start).isEmpty, "already online")
        board.disconnect(user: 1, connection: 100, now: start)
        #expect(board.flush(now: start.addingTimeInterval(1)).isEmpty, "still online on node b")
        #expect(board.takeAnnouncements().map(\.status) == [.offline], "node b must hear this node no longer has Ann")
        #expect(board.snapshot(community: 3).map(\.user) == [1])
        board.remote(node: "b", changes: [.init(user: 1, name: "Ann", communities: [3], status: .offline)])
        #expect(board.flush(now: start.addingTimeInterval(2)) == [.init(user: 1, name: "Ann", communities: [3], status: .offline)])
        #expect(board.snapshot(community: 3).isEmpty)
    }

    @Test("another node's users appear and go; the best status of all nodes shows; a forgotten node's users go offline")
    func remoteUsers() {
        var board = PresenceBoard(grace: 10)
        board.remote(node: "b", changes: [.init(user: 2, name: "Bob", communities: [3], status: .away)])
        #expect(board.flush(now: start) == [.init(user: 2, name: "Bob", communities: [3], status: .away)])
        #expect(board.takeAnnouncements().isEmpty, "another node's users are not announced again")
        board.remote(node: "c", changes: [.init(user: 2, name: "Bob", communities: [3, 4], status: .online)])
        #expect(board.flush(now: start) == [.init(user: 2, name: "Bob", communities: [3, 4], status: .online)])
        #expect(board.snapshot(community: 4) == [.init(user: 2, name: "Bob", status: .online)])
        board.forget(node: "c")
        #expect(board.flush(now: start).map(\.status) == [.away])
        #expect(board.remoteNodes == ["b"])
        board.forget(node: "b")
        #expect(board.flush(now: start) == [.init(user: 2, name: "Bob", communities: [3], status: .offline)])
        #expect(board.snapshot(community: 3).isEmpty)
    }

    @Test("this node's state, for a node that starts listening, holds only its own users")
    func localState() {
        var board = PresenceBoard(grace: 10)
        board.connect(user: 1, name: "Ann", communities: [3], connection: 100)
        board.remote(node: "b", changes: [.init(user: 2, name: "Bob", communities: [3], status: .online)])
        _ = board.flush(now: start)
        #expect(board.localState == [.init(user: 1, name: "Ann", communities: [3], status: .online)])
    }
}
