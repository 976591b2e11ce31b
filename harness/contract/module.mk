# harness/contract: the contract library (libwsbcontract.a) that the mocks and
# the harness share: strict JSON, the JSON Schema validator, the envelope, the
# contract table, JWT, log lines. It depends on cJSON, libc, regex and OpenSSL
# only, and includes nothing outside this folder.
INCDIRS   += harness/contract
LIBRARIES += wsbcontract
wsbcontract_SRCS := $(wildcard harness/contract/*.c)
