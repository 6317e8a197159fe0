// SPDX-License-Identifier: MIT
/*
 * kitmain.c - main() of buse-http, buse-nbd, buse-cache and buse-cow:
 * built once per program with -DKIT_TOP=kit_<name> (examples/Makefile).
 */
#include "kit.h"

int main(int argc, char **argv)
{
	return kit_main(argc, argv, &KIT_TOP);
}
