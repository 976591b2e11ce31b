# harness/contract/tests: the contract library's unit tests, and test-schemas,
# which checks every example under schemas/examples/ against its schema;
# test-exchfeed the strict Binance bookTicker/trade decoder.
CONTRACT_TESTS := wjson envelope jsonschema contract jwt schemas wclock wparse exchfeed
TESTS += $(CONTRACT_TESTS:%=test-%)
$(foreach t,$(CONTRACT_TESTS),$(eval test-$(t)_SRCS := harness/contract/tests/test_$(t).c harness/testkit/testkit.c))
