/* fuzz-probe.c — configure-time probe: does clang link a libFuzzer
 * harness with ASan and UBSan here? (tests/vmbus/meson.build) */
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	(void)data;
	(void)size;
	return 0;
}
