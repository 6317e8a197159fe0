# Shared userspace build settings.  Included by the sub-Makefiles.
TOP       ?= $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
TOP       := $(TOP)
CC        ?= cc
CSTD      := -std=c11 -D_GNU_SOURCE
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT       ?= -O2 -g
SAN       ?=
CFLAGS    += $(CSTD) $(WARN) $(OPT) $(SAN) -I$(TOP)/uapi -I$(TOP)/libbdus/include
LDFLAGS   += $(SAN)
