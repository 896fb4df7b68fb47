/* vmx-vmcs.c — one virtual processor's VMCS: field storage with VMREAD /
 * VMWRITE semantics, the I/O and MSR bitmap pages, and the processor's side
 * of VM exit (recording) and VM entry (taking an injected event).
 * Sim thread, pure model. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "vmx-private.h"

/* On hardware the VMCS is a 4 KiB region whose layout only the processor
 * knows, and the bitmaps are separate pages whose physical addresses sit in
 * the VMCS (VMCS_IO_BITMAP_A, VMCS_IO_BITMAP_B, VMCS_MSR_BITMAP). The model
 * keeps the bitmap pages inside the VmxVmcs itself, so there is no guest or
 * host physical memory to consult; the address fields exist and can be
 * written, but nothing reads through them.
 * The values come first and the structure starts on a page: an I/O exit
 * reads the fields and its port's bit, and for the ports below about
 * 0x5800 both are on the same 4 KiB page, one page less per exit to touch
 * (docs/native.md, "Where an exit's time goes"). */
struct VmxVmcs {
	/* One slot per row of the field table (vmx_field_at(i) is slot i).
	 * Every value is kept at full 64 bits; narrower fields are truncated on
	 * write, so the upper bits are always zero. */
	size_t n_values;
	uint64_t values[VMX_MAX_FIELDS];
	uint8_t io_bitmap_a[VMX_IO_BITMAP_SIZE];
	uint8_t io_bitmap_b[VMX_IO_BITMAP_SIZE];
	uint8_t msr_bitmap[VMX_MSR_BITMAP_SIZE];
};
#define VMCS_PAGE 4096u

/* The exit-information fields every VM exit writes, in the order below.
 * Their slots are looked up once: this runs on every exit. */
static const uint32_t exit_record_fields[] = {
	VMCS_VM_EXIT_REASON, VMCS_EXIT_QUALIFICATION, VMCS_VM_EXIT_INSTRUCTION_LEN,
	VMCS_GUEST_LINEAR_ADDRESS, VMCS_GUEST_PHYSICAL_ADDRESS, VMCS_VM_EXIT_INTR_INFO,
	VMCS_VM_EXIT_INTR_ERROR_CODE, VMCS_IDT_VECTORING_INFO_FIELD, VMCS_GUEST_RIP,
};
#define N_EXIT_RECORD_FIELDS (sizeof exit_record_fields / sizeof exit_record_fields[0])
static long exit_record_slot[N_EXIT_RECORD_FIELDS];
/* The guest-state fields the model saves on every exit (VmxGuestState). */
static const uint32_t guest_save_fields[] = {
	VMCS_GUEST_RSP, VMCS_GUEST_RFLAGS, VMCS_GUEST_CR0, VMCS_GUEST_CR3, VMCS_GUEST_CR4,
	VMCS_GUEST_CS_SELECTOR, VMCS_GUEST_SS_SELECTOR,
};
#define N_GUEST_SAVE_FIELDS (sizeof guest_save_fields / sizeof guest_save_fields[0])
static long guest_save_slot[N_GUEST_SAVE_FIELDS];
/* The fields every exit and entry read: slots looked up once, beside the
 * ones above (the encoding-to-slot table would be one more page of memory
 * each exit touches). */
static long proc_controls_slot, entry_intr_info_slot;
static pthread_once_t exit_record_once = PTHREAD_ONCE_INIT;

static void exit_record_init(void)
{
	/* Every field above is in the table (the tests check VMREAD of each),
	 * so every slot is valid. */
	for (size_t i = 0; i < N_EXIT_RECORD_FIELDS; i++)
		exit_record_slot[i] = vmx_field_index(exit_record_fields[i]);
	for (size_t i = 0; i < N_GUEST_SAVE_FIELDS; i++)
		guest_save_slot[i] = vmx_field_index(guest_save_fields[i]);
	proc_controls_slot = vmx_field_index(VMCS_CPU_BASED_VM_EXEC_CONTROL);
	entry_intr_info_slot = vmx_field_index(VMCS_VM_ENTRY_INTR_INFO_FIELD);
}

VmxVmcs *vmx_vmcs_new(void)
{
	size_t size = (sizeof(VmxVmcs) + VMCS_PAGE - 1) / VMCS_PAGE * VMCS_PAGE;
	VmxVmcs *vmcs = aligned_alloc(VMCS_PAGE, size);

	if (vmcs == NULL)
		return NULL;
	memset(vmcs, 0, size);
	vmcs->n_values = vmx_field_count();
	vmx_vmcs_init_defaults(vmcs);
	pthread_once(&exit_record_once, exit_record_init);
	return vmcs;
}

void vmx_vmcs_free(VmxVmcs *vmcs)
{
	free(vmcs);
}

void vmx_vmcs_init_defaults(VmxVmcs *vmcs)
{
	memset(vmcs->io_bitmap_a, 0, sizeof vmcs->io_bitmap_a);
	memset(vmcs->io_bitmap_b, 0, sizeof vmcs->io_bitmap_b);
	memset(vmcs->msr_bitmap, 0, sizeof vmcs->msr_bitmap);
	memset(vmcs->values, 0, vmcs->n_values * sizeof vmcs->values[0]);
	/* VM entry checks that the link pointer is all ones unless VMCS
	 * shadowing uses it; ~0 means "no linked VMCS". Everything else starts
	 * at 0: no exiting controls, no injected event, no host state. */
	(void)vmx_vmcs_set_exit_info(vmcs, VMCS_LINK_POINTER, ~0ull);
}

/* ---- VMREAD / VMWRITE ---------------------------------------------------
 *
 * Both instructions take an encoding, not an offset. The encoding's bit 0
 * selects "high" access: for a 64-bit field, encoding | 1 names its upper
 * 32 bits (how 32-bit software reaches them); for any other width it is not
 * a valid component. */

/* Resolves `enc` to a slot; returns the slot or -1, and whether the access
 * is to the high half. */
VMX_HOT static long vmx_resolve(const VmxVmcs *vmcs, uint32_t enc, bool *high)
{
	long i;

	*high = (enc & VMX_ENC_ACCESS_HIGH) != 0;
	if (*high && VMX_ENC_WIDTH_OF(enc) != VMX_WIDTH_64)
		return -1;
	i = vmx_field_index(enc & ~VMX_ENC_ACCESS_HIGH);
	if (i < 0 || (size_t)i >= vmcs->n_values)
		return -1;
	return i;
}

/* A field holds only as many bits as its width; VMWRITE drops the rest
 * (natural width is 64 bits on a processor that supports Intel 64). */
static uint64_t vmx_truncate(uint32_t enc, uint64_t value)
{
	switch (VMX_ENC_WIDTH_OF(enc)) {
	case VMX_WIDTH_16:
		return value & 0xFFFFu;
	case VMX_WIDTH_32:
		return value & 0xFFFFFFFFu;
	default:
		return value;
	}
}

VMX_HOT int vmx_vmcs_read(const VmxVmcs *vmcs, uint32_t enc, uint64_t *value)
{
	bool high;
	long i = vmx_resolve(vmcs, enc, &high);

	if (i < 0)
		return VMX_ERR_UNSUPPORTED_FIELD;
	*value = high ? vmcs->values[i] >> 32 : vmcs->values[i];
	return 0;
}

static int vmx_store(VmxVmcs *vmcs, uint32_t enc, uint64_t value, bool processor)
{
	bool high;
	long i = vmx_resolve(vmcs, enc, &high);

	if (i < 0)
		return VMX_ERR_UNSUPPORTED_FIELD;
	/* Exit-information fields are the processor's report to the
	 * hypervisor; software may read them but not forge them (unless the
	 * CPU advertises "VMWRITE to any supported field", which the model
	 * does not). */
	if (!processor && VMX_ENC_TYPE_OF(enc) == VMX_TYPE_EXIT_INFO)
		return VMX_ERR_READ_ONLY_FIELD;
	if (high)
		vmcs->values[i] = (vmcs->values[i] & 0xFFFFFFFFull) | (value << 32);
	else
		vmcs->values[i] = vmx_truncate(enc, value);
	return 0;
}

int vmx_vmcs_write(VmxVmcs *vmcs, uint32_t enc, uint64_t value)
{
	return vmx_store(vmcs, enc, value, false);
}

int vmx_vmcs_set_exit_info(VmxVmcs *vmcs, uint32_t enc, uint64_t value)
{
	return vmx_store(vmcs, enc, value, true);
}

VMX_HOT uint64_t vmx_vmcs_get(const VmxVmcs *vmcs, uint32_t enc)
{
	uint64_t value = 0;

	return vmx_vmcs_read(vmcs, enc, &value) == 0 ? value : 0;
}

/* ---- I/O bitmaps ---------------------------------------------------------
 * Two 4 KiB pages, one bit per port: A covers 0x0000-0x7FFF, B covers
 * 0x8000-0xFFFF. Bit (port % 8) of byte (port / 8) within the page. */

/* Bit number of `port` within its page (A or B: each starts at bit 0). */
static unsigned vmx_io_bit(uint16_t port)
{
	return port % VMX_IO_BITMAP_B_FIRST_PORT;
}

void vmx_io_bitmap_set(VmxVmcs *vmcs, uint16_t port, bool exits)
{
	uint8_t *page = port < VMX_IO_BITMAP_B_FIRST_PORT ? vmcs->io_bitmap_a : vmcs->io_bitmap_b;
	unsigned bit = vmx_io_bit(port);
	uint8_t mask = (uint8_t)(1u << (bit % 8));

	if (exits)
		page[bit / 8] |= mask;
	else
		page[bit / 8] &= (uint8_t)~mask;
}

VMX_HOT bool vmx_io_bitmap_get(const VmxVmcs *vmcs, uint16_t port)
{
	const uint8_t *page = port < VMX_IO_BITMAP_B_FIRST_PORT ? vmcs->io_bitmap_a : vmcs->io_bitmap_b;
	unsigned bit = vmx_io_bit(port);

	return ((unsigned)page[bit / 8] >> (bit % 8)) & 1u;
}

void vmx_io_bitmap_set_all(VmxVmcs *vmcs, bool exits)
{
	memset(vmcs->io_bitmap_a, exits ? 0xFF : 0, sizeof vmcs->io_bitmap_a);
	memset(vmcs->io_bitmap_b, exits ? 0xFF : 0, sizeof vmcs->io_bitmap_b);
}

/* ---- MSR bitmap -----------------------------------------------------------
 * One 4 KiB page in four 1 KiB quarters (8192 bits each):
 *   0    read bitmap for low MSRs   0x00000000-0x00001FFF
 *   1024 read bitmap for high MSRs  0xC0000000-0xC0001FFF
 *   2048 write bitmap for low MSRs
 *   3072 write bitmap for high MSRs
 * The two ranges cover the architectural MSRs and AMD64's 0xC000xxxx
 * (EFER, STAR, LSTAR, FS/GS base...). Hyper-V's synthetic MSRs at
 * 0x40000000 fall in neither, so RDMSR/WRMSR of them always exit — which is
 * exactly what a hypervisor that emulates them needs. */

/* Bit number (within the whole page) of `msr`'s bit for the given
 * direction, or -1 if the MSR is in neither range. */
static long vmx_msr_bit_index(uint32_t msr, bool write)
{
	uint32_t base;

	if (msr <= VMX_MSR_LOW_LAST)
		base = write ? VMX_MSR_BITMAP_WRITE_LOW : VMX_MSR_BITMAP_READ_LOW;
	else if (msr >= VMX_MSR_HIGH_FIRST && msr <= VMX_MSR_HIGH_LAST)
		base = write ? VMX_MSR_BITMAP_WRITE_HIGH : VMX_MSR_BITMAP_READ_HIGH;
	else
		return -1;
	return (long)base * 8 + (long)(msr & VMX_MSR_LOW_LAST);
}

static void vmx_msr_bit_set(VmxVmcs *vmcs, long bit, bool value)
{
	uint8_t mask = (uint8_t)(1u << (bit % 8));

	if (value)
		vmcs->msr_bitmap[bit / 8] |= mask;
	else
		vmcs->msr_bitmap[bit / 8] &= (uint8_t)~mask;
}

void vmx_msr_bitmap_set(VmxVmcs *vmcs, uint32_t msr, bool read_exits, bool write_exits)
{
	long rd = vmx_msr_bit_index(msr, false);
	long wr = vmx_msr_bit_index(msr, true);

	if (rd < 0 || wr < 0)
		return;
	vmx_msr_bit_set(vmcs, rd, read_exits);
	vmx_msr_bit_set(vmcs, wr, write_exits);
}

bool vmx_msr_bitmap_get(const VmxVmcs *vmcs, uint32_t msr, bool write)
{
	long bit = vmx_msr_bit_index(msr, write);

	if (bit < 0)
		return true;
	return ((unsigned)vmcs->msr_bitmap[bit / 8] >> (bit % 8)) & 1u;
}

void vmx_msr_bitmap_set_all(VmxVmcs *vmcs, bool exits)
{
	memset(vmcs->msr_bitmap, exits ? 0xFF : 0, sizeof vmcs->msr_bitmap);
}

const uint8_t *vmx_vmcs_io_bitmap_a(const VmxVmcs *vmcs)
{
	return vmcs->io_bitmap_a;
}

const uint8_t *vmx_vmcs_io_bitmap_b(const VmxVmcs *vmcs)
{
	return vmcs->io_bitmap_b;
}

const uint8_t *vmx_vmcs_msr_bitmap(const VmxVmcs *vmcs)
{
	return vmcs->msr_bitmap;
}

/* ---- VM exit: what the processor writes ----------------------------------
 * The exit-information fields are the whole interface from the processor to
 * the exit handler. GUEST_RIP still points at the instruction that exited
 * (a fault-like exit); the handler adds VM_EXIT_INSTRUCTION_LEN to skip it. */

VMX_HOT void vmx_exit_record(VmxVmcs *vmcs, const VmxExit *exit)
{
	/* Every VM exit writes IDT-vectoring information; valid = 0 says the
	 * exit did not interrupt the delivery of an event. The 32-bit fields
	 * take the record's 32-bit members as they are. */
	const uint64_t values[N_EXIT_RECORD_FIELDS] = {
		exit->reason, exit->qualification, exit->instruction_length,
		exit->guest_linear_address, exit->guest_physical_address, exit->intr_info,
		exit->intr_error_code, 0, exit->guest_rip,
	};
	/* exit_record_slot[] was filled when this VMCS was created. */
	for (size_t i = 0; i < N_EXIT_RECORD_FIELDS; i++)
		vmcs->values[exit_record_slot[i]] = values[i];
}

void vmx_guest_state_save(VmxVmcs *vmcs, const VmxGuestState *g)
{
	/* The order of guest_save_fields[]; selectors are 16-bit fields. */
	const uint64_t values[N_GUEST_SAVE_FIELDS] = {
		g->rsp, g->rflags, g->cr0, g->cr3, g->cr4, g->cs & 0xFFFFu, g->ss & 0xFFFFu,
	};
	for (size_t i = 0; i < N_GUEST_SAVE_FIELDS; i++)
		vmcs->values[guest_save_slot[i]] = values[i];
}

void vmx_exit_load(const VmxVmcs *vmcs, VmxExit *exit)
{
	exit->reason = (uint32_t)vmx_vmcs_get(vmcs, VMCS_VM_EXIT_REASON);
	exit->qualification = vmx_vmcs_get(vmcs, VMCS_EXIT_QUALIFICATION);
	exit->instruction_length = (uint32_t)vmx_vmcs_get(vmcs, VMCS_VM_EXIT_INSTRUCTION_LEN);
	exit->guest_rip = vmx_vmcs_get(vmcs, VMCS_GUEST_RIP);
	exit->guest_linear_address = vmx_vmcs_get(vmcs, VMCS_GUEST_LINEAR_ADDRESS);
	exit->guest_physical_address = vmx_vmcs_get(vmcs, VMCS_GUEST_PHYSICAL_ADDRESS);
	exit->intr_info = (uint32_t)vmx_vmcs_get(vmcs, VMCS_VM_EXIT_INTR_INFO);
	exit->intr_error_code = (uint32_t)vmx_vmcs_get(vmcs, VMCS_VM_EXIT_INTR_ERROR_CODE);
}

/* ---- Event injection -----------------------------------------------------
 * Injection is how a hypervisor makes a guest see an interrupt or an
 * exception it did not raise itself (a SynIC interrupt, a reflected #GP).
 * The entry fields are ordinary control fields the hypervisor VMWRITEs. */

static bool vmx_type_has_instruction_length(uint8_t type)
{
	/* Software interrupts and software/privileged exceptions are "trap
	 * like": delivery pushes the address of the *next* instruction, which
	 * the processor computes from this length. */
	return type == VMX_INTR_TYPE_SOFT_INTR ||
	       type == VMX_INTR_TYPE_PRIV_SW_EXCEPTION ||
	       type == VMX_INTR_TYPE_SOFT_EXCEPTION;
}

void vmx_inject_event(VmxVmcs *vmcs, uint8_t vector, uint8_t type, bool has_error,
                      uint32_t error_code, uint32_t insn_len)
{
	(void)vmx_vmcs_write(vmcs, VMCS_VM_ENTRY_INTR_INFO_FIELD,
	                     vmx_intr_info_encode(vector, type, has_error));
	if (has_error)
		(void)vmx_vmcs_write(vmcs, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE, error_code);
	if (vmx_type_has_instruction_length(type))
		(void)vmx_vmcs_write(vmcs, VMCS_VM_ENTRY_INSTRUCTION_LEN, insn_len);
}

VMX_HOT uint32_t vmx_vmcs_proc_controls(const VmxVmcs *vmcs)
{
	return (uint32_t)vmcs->values[proc_controls_slot];
}

VMX_HOT int vmx_peek_injected_vector(const VmxVmcs *vmcs)
{
	uint8_t vector, type;
	bool err;
	return vmx_intr_info_decode((uint32_t)vmcs->values[entry_intr_info_slot], &vector, &type, &err) ? vector : -1;
}

VMX_HOT bool vmx_take_injected_event(VmxVmcs *vmcs, uint8_t *vector, uint8_t *type,
                             bool *has_error, uint32_t *error_code)
{
	uint32_t info = (uint32_t)vmcs->values[entry_intr_info_slot];
	bool err = false;

	if (!vmx_intr_info_decode(info, vector, type, &err))
		return false;
	if (has_error != NULL)
		*has_error = err;
	if (error_code != NULL)
		*error_code = err ? (uint32_t)vmx_vmcs_get(vmcs, VMCS_VM_ENTRY_EXCEPTION_ERROR_CODE) : 0;
	/* On hardware the valid bit is cleared by the next VM exit; no software
	 * can observe the field in between, so clearing it at delivery is
	 * equivalent and keeps an event from being delivered twice. */
	vmcs->values[entry_intr_info_slot] = info & ~VMX_INTR_INFO_VALID;
	return true;
}
