# mock_server/testkit: what the mocks' tests and benchmarks share: testws.c, a
# blocking WebSocket client written from RFC 6455 alone (no lws), and
# bot_testkit.c (a wsb-bot under test and a scripted dashboard). Test-only.
INCDIRS += mock_server/testkit
