# mock_server/token: wsb-token, mints the HS256 tokens the mocks accept.
PROGRAMS += wsb-token
wsb-token_SRCS     := mock_server/token/token_main.c
wsb-token_ARCHIVES := $(call lib,wsbcontract)
wsb-token_PKGS     := libcjson libcrypto
