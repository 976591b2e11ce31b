# harness/load/cli: wsb-load, the load engine as a command a user points at any
# WebSocket server (shipped).
PROGRAMS += wsb-load
wsb-load_SRCS := harness/load/cli/wsbload_main.c harness/load/cli/wsbload_http.c
