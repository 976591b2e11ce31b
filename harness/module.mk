# harness: the harness core library (libwsbharness.a) that the suites are
# written on: the WebSocket client engine, the flow checks, histograms, the
# HTTP client, the Prometheus text parser, the bridge (reaching the system
# under test) and the suite API.
# Its subfolders env/, results/ and runner/ add their files to the same library.
INCDIRS   += harness
LIBRARIES += wsbharness
wsbharness_SRCS += $(wildcard harness/*.c)
