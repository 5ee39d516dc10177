"""`python -m bench.ws floor-server BOARD_PORT CONTROL_PORT` and `python -m bench.ws stack-server PORT BOARD_PORT URL`:
the floor's and the stack reference's own processes. `python -m bench.ws post-cost [options]`: one post's
CPU time and statements, in process (bench/ws/post_cost.py).

The orchestrator starts them this way (bench/ws/servers.py `start_floor`, `start_stack`) so that each runs in a
process of its own, pinned to the server core like Pantau's."""

import sys

if __name__ == "__main__" and sys.argv[1:2] == ["floor-server"]:
    from bench.ws.floor import floor_server_main

    floor_server_main(int(sys.argv[2]), int(sys.argv[3]))
elif __name__ == "__main__" and sys.argv[1:2] == ["stack-server"]:
    from bench.ws.stack import stack_server_main

    stack_server_main(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
elif __name__ == "__main__" and sys.argv[1:2] == ["post-cost"]:
    from bench.ws.post_cost import main

    main(sys.argv[2:])
