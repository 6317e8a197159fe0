# The project's version (libbdus, bdus.pc, the DKMS package): the
# BDUS_VERSION_MAJOR/MINOR/PATCH macros of libbdus/include/bdus.h are the
# single source of truth.  Needs TOP.
bdus_version_part = $(shell sed -n 's/^\#define BDUS_VERSION_$(1) *\([0-9][0-9]*\) *$$/\1/p' \
	$(TOP)/libbdus/include/bdus.h)
BUSE_VERSION := $(call bdus_version_part,MAJOR).$(call bdus_version_part,MINOR).$(call bdus_version_part,PATCH)
