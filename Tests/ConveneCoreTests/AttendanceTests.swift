import ConveneCore
import Foundation
import Testing

@Suite("Attendance")
struct AttendanceTests {
    static let start = Date(timeIntervalSince1970: 1_791_000_000)
    static func at(_ minutes: Double) -> Date { start.addingTimeInterval(minutes * 60) }

    @Test("first join, last leave and minutes present per person — overlapping stays once, time outside the call not at all — rolled up per organization")
    func report() {
        let stays = [
            // Ann: two tabs overlapping (0–30 and 20–45), then back 50–55: 45 + 5 minutes.
            Attendance.Stay(user: 1, joinedAt: Self.at(0), leftAt: Self.at(30)),
            Attendance.Stay(user: 1, joinedAt: Self.at(20), leftAt: Self.at(45)),
            Attendance.Stay(user: 1, joinedAt: Self.at(50), leftAt: Self.at(55)),
            // Bob: from the lobby, 10 minutes early, to 20: 20 minutes inside the window.
            Attendance.Stay(user: 2, joinedAt: Self.at(-10), leftAt: Self.at(20)),
            // Cy: still in the room at 40 (now): 15 minutes so far.
            Attendance.Stay(user: 3, joinedAt: Self.at(25), leftAt: nil),
            // Dee: a moment, under a minute.
            Attendance.Stay(user: 4, joinedAt: Self.at(5), leftAt: Self.at(5.5)),
        ]
        let (people, organizations) = Attendance.report(
            stays: stays, window: Self.start...Self.at(60), now: Self.at(40), organizations: [1: 10, 2: 10, 3: 20])
        #expect(people.map(\.user) == [2, 1, 4, 3], "by first join")
        let byUser = Dictionary(uniqueKeysWithValues: people.map { ($0.user, $0) })
        #expect(byUser[1]?.minutes == 50)
        #expect(byUser[1]?.firstJoin == Self.at(0))
        #expect(byUser[1]?.lastLeave == Self.at(55))
        #expect(byUser[2]?.minutes == 20)
        #expect(byUser[2]?.firstJoin == Self.at(-10), "the first join is when they came, lobby included")
        #expect(byUser[3]?.minutes == 15)
        #expect(byUser[3]?.lastLeave == nil, "still there")
        #expect(byUser[4]?.minutes == 0)
        #expect(organizations.map(\.organizationID) == [10, 20, nil])
        #expect(organizations.map(\.people) == [2, 1, 1])
        #expect(organizations.map(\.minutes) == [70, 15, 0])
        #expect(Attendance.callsAttended([organizations, [Attendance.Organization(organizationID: 20, people: 1, minutes: 3)]]) == [10: 1, 20: 2])
    }

    @Test("CSV quotes what needs quoting, defuses what a spreadsheet would run as a formula, and ends every row with CRLF")
    func csv() {
        #expect(CSV.render(header: ["name", "minutes"], rows: [["Lee, Ann", "50"], ["Bob \"B\"", "20"], ["Cy", "0"], ["=HYPERLINK(\"x\")", "1"], ["@cmd", "2"]])
            == "name,minutes\r\n\"Lee, Ann\",50\r\n\"Bob \"\"B\"\"\",20\r\nCy,0\r\n\"'=HYPERLINK(\"\"x\"\")\",1\r\n'@cmd,2\r\n")
    }
}
