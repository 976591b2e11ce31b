# harness/testkit: what the test programs share (testkit.c: CUnit main, paths,
# temporary folders, test servers started through spawn) and faulty-dashboard, a
# dashboard that misbehaves on purpose (--fault NAME). Test-only: nothing here
# is shipped in an image.
INCDIRS += harness/testkit
TEST_PROGRAMS += faulty-dashboard
faulty-dashboard_SRCS := harness/testkit/faulty_dashboard.c harness/testkit/faulty_dashboard_judge.c
# faulty-peer: wsb-dashboard or wsb-bot made to misbehave, stall or mis-stamp for the
# fault and performance suites (test-fault-faulty, test-perf-faulty)
TEST_PROGRAMS += faulty-peer
faulty-peer_SRCS := harness/testkit/faulty_peer.c
# feed-peer: a WebSocket server that streams a file's lines (an exchange stream for
# performance.live_feed's tests) or echoes (the C echo bench-echo measures against)
TEST_PROGRAMS += feed-peer
feed-peer_SRCS := harness/testkit/feed_peer.c
