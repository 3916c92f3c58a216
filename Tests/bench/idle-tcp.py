"""Server memory per idle TCP connection, for comparison with `convene-bench connections`.

Usage: python3 Tests/bench/idle-tcp.py SERVER_PID COUNT raw|http
  raw:  connect and send nothing
  http: send one keep-alive `GET /healthz`, read the answer, stay open
Prints the server's RSS before and 3 s after, and the difference per connection.
The server listens on 127.0.0.1:8090.
"""
import socket
import sys
import time

pid, count, mode = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1])


before = rss_kib()
sockets = []
for _ in range(count):
    connection = socket.create_connection(("127.0.0.1", 8090))
    if mode == "http":
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: bench\r\n\r\n")
    sockets.append(connection)
if mode == "http":
    for connection in sockets:
        connection.recv(4096)
time.sleep(3)
after = rss_kib()
print(f"{mode}: {count} connections, RSS {before} -> {after} KiB: {(after - before) / count:.1f} KiB each")
