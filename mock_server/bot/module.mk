# mock_server/bot: wsb-bot, the mock trading bot. Links the contract library
# and libwebsockets only. BOT_SRCS (all but main) is also linked by test-bot.
INCDIRS  += mock_server/bot
BOT_SRCS := $(filter-out mock_server/bot/bot_main.c,$(wildcard mock_server/bot/*.c))
PROGRAMS += wsb-bot
wsb-bot_SRCS     := mock_server/bot/bot_main.c $(BOT_SRCS)
wsb-bot_ARCHIVES := $(call lib,wsbcontract)
wsb-bot_PKGS     := libwebsockets libcjson libcrypto
