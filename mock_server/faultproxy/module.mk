# mock_server/faultproxy: wsb-faultproxy, the fault-injection TCP proxy with a
# subset of Toxiproxy's HTTP API (plain epoll, no libwebsockets). Links the
# contract library (strict JSON, logging) only.
INCDIRS  += mock_server/faultproxy
PROGRAMS += wsb-faultproxy
wsb-faultproxy_SRCS     := $(wildcard mock_server/faultproxy/*.c)
wsb-faultproxy_ARCHIVES := $(call lib,wsbcontract)
wsb-faultproxy_PKGS     := libcjson libcrypto
