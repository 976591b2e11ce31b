# harness/load: the load engine (frames in bulk, thousands of connections in
# one loop) in the harness core library, for the load suite and wsb-load.
INCDIRS += harness/load
wsbharness_SRCS += harness/load/loadframe.c harness/load/loadengine.c harness/load/loadengine_rx.c \
                   harness/load/loadreport.c harness/load/loadcmd.c harness/load/loadscen.c harness/load/loadseries.c
