"""`python -m bench.ws floor-server BOARD_PORT CONTROL_PORT`: the floor server's own process.

The orchestrator starts it this way (bench/ws/servers.py `start_floor`) so that the floor runs in a process of
its own, pinned to the server core like Pantau's."""

import sys

from bench.ws.floor import floor_server_main

if __name__ == "__main__" and sys.argv[1:2] == ["floor-server"]:
    floor_server_main(int(sys.argv[2]), int(sys.argv[3]))
