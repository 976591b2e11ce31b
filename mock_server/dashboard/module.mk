# mock_server/dashboard: wsb-dashboard, the mock dashboard server. Links the
# contract library and libwebsockets only.
INCDIRS  += mock_server/dashboard
PROGRAMS += wsb-dashboard
wsb-dashboard_SRCS     := $(wildcard mock_server/dashboard/*.c)
wsb-dashboard_ARCHIVES := $(call lib,wsbcontract)
wsb-dashboard_PKGS     := libwebsockets libcjson libcrypto
