/* syscall.c — system calls: turning SYSCALL on, and the dispatcher shared
 * by the SYSCALL path (syscall.S) and the INT 0x80 path (idt.c).
 * Guest ring 0, freestanding. Arguments come from ring 3 and are hostile
 * until checked. */
#include "ata.h"
#include "storvsc.h"
#include "vid.h"

#define SYSCALL_WRITE_MAX 4096u /* longest single write() */
#define SYSCALL_FD_STDOUT 1u
#define SYSCALL_FD_STDERR 2u

extern char syscall_entry[]; /* syscall.S */

void syscall_init(void)
{
	/* SYSCALL/SYSRET raise #UD until EFER.SCE is set. */
	wrmsr(IA32_EFER_MSR, rdmsr(IA32_EFER_MSR) | X86_EFER_SCE);
	/* STAR: selector bases. SYSCALL loads CS = 0x08, SS = 0x10; SYSRETQ
	 * loads CS = 0x18 + 16 = 0x28 and SS = 0x18 + 8 = 0x20, each with RPL 3
	 * (0x2B, 0x23). See the GDT order in x86.h. */
	wrmsr(IA32_STAR_MSR, ((uint64_t)SEL_USER_CODE32 << STAR_SYSRET_CS_SHIFT) |
				     ((uint64_t)SEL_KERNEL_CODE << STAR_SYSCALL_CS_SHIFT));
	/* LSTAR: where SYSCALL from 64-bit code jumps. */
	wrmsr(IA32_LSTAR_MSR, (uint64_t)(uintptr_t)syscall_entry);
	/* CSTAR (SYSCALL from 32-bit code) is unused: there is none. */
	wrmsr(IA32_CSTAR_MSR, 0);
	/* FMASK: RFLAGS bits SYSCALL clears. IF, so the kernel is not
	 * interrupted before it has a stack; TF, so single-stepping a program
	 * does not trap in the kernel; DF, which the C ABI requires clear; AC,
	 * so alignment checking set by ring 3 does not apply to the kernel. */
	wrmsr(IA32_FMASK_MSR, X86_RFLAGS_IF | X86_RFLAGS_TF | X86_RFLAGS_DF | X86_RFLAGS_AC);

	kdetail("SYSCALL: EFER.SCE on, LSTAR %p, STAR 0x%lx, FMASK 0x%lx\n",
		(void *)syscall_entry, rdmsr(IA32_STAR_MSR), rdmsr(IA32_FMASK_MSR));
}

static uint64_t sys_write(uint64_t fd, uint64_t buf, uint64_t len)
{
	if (fd != SYSCALL_FD_STDOUT && fd != SYSCALL_FD_STDERR)
		return SYSCALL_ERROR;
	/* The buffer must lie in the user region. Without this check a program
	 * could ask the kernel to print kernel memory for it: the kernel may
	 * read every page, so it must not lend that power to ring 3. */
	if (len > SYSCALL_WRITE_MAX || !user_range_ok(buf, len))
		return SYSCALL_ERROR;
	console_write((const char *)(uintptr_t)buf, len);
	return len;
}

/* HVSIM_SYS_DISK: ring 3 reads and writes whole sectors of the disk. The
 * request is copied into the kernel once, so ring 3 cannot change it
 * between the checks and the transfer; the buffer must lie in ring 3
 * memory, writable for a read (the driver stores into it), and one request
 * is one ATA command, so the count is bounded by what a command carries.
 * With HVSIM_BOOT_FLAG_IO_SYNTHETIC (a child on the synthetic path) the
 * same request is one storvsc packet to the parent instead (storvsc.c). */
static uint64_t sys_disk(uint64_t op, uint64_t req_addr)
{
	struct hvsim_disk_request req;
	enum ata_result r;
	uint64_t bytes;
	bool reading = op == HVSIM_DISK_READ;
	bool synthetic = (kernel_boot.flags & HVSIM_BOOT_FLAG_IO_SYNTHETIC) != 0;

	if (op == HVSIM_DISK_INFO && synthetic)
		return storvsc_sectors() != 0 ? storvsc_sectors() : HVSIM_DISK_ERROR_DEVICE;
	if (op == HVSIM_DISK_INFO)
		return ata_probe() == ATA_OK ? ata_sectors() : HVSIM_DISK_ERROR_DEVICE;
	if (op != HVSIM_DISK_READ && op != HVSIM_DISK_WRITE) {
		klog("process \"%s\": disk operation %lu does not exist\n", process_current_name(), op);
		return HVSIM_DISK_ERROR_ARGUMENT;
	}
	if (!user_range_ok(req_addr, sizeof(req))) {
		klog("process \"%s\": disk request at 0x%lx is not ring 3 memory\n",
		     process_current_name(), req_addr);
		return HVSIM_DISK_ERROR_ARGUMENT;
	}
	memcpy(&req, (const void *)(uintptr_t)req_addr, sizeof(req));
	if (req.reserved != 0 || req.sectors == 0 || req.sectors > HVSIM_DISK_SECTORS_MAX) {
		klog("process \"%s\": disk request for %u sectors refused (1..%u, reserved 0)\n",
		     process_current_name(), req.sectors, HVSIM_DISK_SECTORS_MAX);
		return HVSIM_DISK_ERROR_ARGUMENT;
	}
	bytes = (uint64_t)req.sectors * ATA_SECTOR_SIZE;
	if (reading ? !user_range_writable(req.buffer, bytes) : !user_range_ok(req.buffer, bytes)) {
		klog("process \"%s\": disk buffer 0x%lx (%lu bytes) is not %s ring 3 memory\n",
		     process_current_name(), req.buffer, bytes, reading ? "writable" : "readable");
		return HVSIM_DISK_ERROR_ARGUMENT;
	}
	if (synthetic)
		r = reading ? storvsc_read(req.lba, req.sectors, (void *)(uintptr_t)req.buffer)
			    : storvsc_write(req.lba, req.sectors, (const void *)(uintptr_t)req.buffer);
	else
		r = reading ? ata_read(req.lba, req.sectors, (void *)(uintptr_t)req.buffer)
			    : ata_write(req.lba, req.sectors, (const void *)(uintptr_t)req.buffer);
	switch (r) {
	case ATA_OK:
		return req.sectors;
	case ATA_ERR_RANGE:
		return HVSIM_DISK_ERROR_RANGE;
	case ATA_ERR_ARGUMENT:
		return HVSIM_DISK_ERROR_ARGUMENT;
	default:
		return HVSIM_DISK_ERROR_DEVICE;
	}
}

uint64_t syscall_dispatch(uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	switch (nr) {
	case HVSIM_SYS_WRITE:
		return sys_write(a0, a1, a2);
	case HVSIM_SYS_EXIT:
		process_exit((int64_t)a0);
	case HVSIM_SYS_VID:
		return vid_syscall(a0, a1, a2);
	case HVSIM_SYS_DISK:
		return sys_disk(a0, a1);
	default:
		klog("process \"%s\": unknown system call %lu\n", process_current_name(), nr);
		return SYSCALL_ERROR;
	}
}
