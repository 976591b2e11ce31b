# mock_server/dashboard: wsb-dashboard, the mock dashboard server. Links the
# contract library and libwebsockets only (and libssl, which lws uses anyway:
# dashboard_wire.c follows its SSL_read()s and sets the TLS versions).
INCDIRS  += mock_server/dashboard
PROGRAMS += wsb-dashboard
wsb-dashboard_SRCS     := $(wildcard mock_server/dashboard/*.c)
wsb-dashboard_ARCHIVES := $(call lib,wsbcontract)
wsb-dashboard_PKGS     := libwebsockets libcjson libcrypto libssl
# the live view's page is embedded by dashboard_page.c (.incbin): rebuild it
# when the page changes
$(BUILD)/obj/mock_server/dashboard/dashboard_page.o: mock_server/dashboard/dashboard_page.html
