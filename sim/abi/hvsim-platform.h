/* hvsim-platform.h — the machine a guest image boots on: where the loader puts
 * things, the state the first instruction sees, and the platform's devices.
 * Shared ABI header: plain C, no GLib. Included by sim/ (host) and guest/
 * (freestanding). docs/guest-abi.md explains every field for guest authors. */
#ifndef HVSIM_ABI_HVSIM_PLATFORM_H
#define HVSIM_ABI_HVSIM_PLATFORM_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

/* ---- Guest-physical layout built by the loader ---------------------------
 * The first 64 KiB of every partition belong to the loader. ELF PT_LOAD
 * segments must lie in [HVSIM_IMAGE_MIN_GPA, memory size). */
#define HVSIM_BOOT_INFO_GPA   0x1000ull  /* struct hvsim_boot_info            */
#define HVSIM_BOOT_GDT_GPA    0x2000ull  /* flat GDT, selectors below          */
#define HVSIM_BOOT_PML4_GPA   0x3000ull  /* boot page tables: PML4            */
#define HVSIM_BOOT_PDPT_GPA   0x4000ull  /*                   PDPT             */
#define HVSIM_BOOT_PD_GPA     0x5000ull  /*                   one PD, 2 MiB pages */
#define HVSIM_BOOT_STACK_TOP  0x8000ull  /* RSP at entry (stack grows down to 0x6000) */
#define HVSIM_IMAGE_MIN_GPA   0x10000ull
/* Boot page tables identity-map [0, min(memory size, 1 GiB)) with 2 MiB
 * supervisor read/write pages. */
#define HVSIM_BOOT_IDENTITY_LIMIT (1ull << 30)

/* Boot GDT selectors. */
#define HVSIM_BOOT_SEL_CODE64 0x08
#define HVSIM_BOOT_SEL_DATA   0x10

/* Control registers at entry: long mode with paging, as hardware requires. */
#define HVSIM_BOOT_CR0  0x80010033ull /* PG | WP | NE | ET | MP | PE */
#define HVSIM_BOOT_CR4  0x00000020ull /* PAE */
#define HVSIM_BOOT_EFER 0x00000500ull /* LMA | LME */
#define HVSIM_BOOT_RFLAGS 0x2ull      /* IF = 0 */

/* Handed to the kernel in RDI (and at HVSIM_BOOT_INFO_GPA). */
#define HVSIM_BOOT_MAGIC 0x544F4F424D495348ull /* "HSIMBOOT" */
#define HVSIM_BOOT_VERSION 2u

#ifndef __ASSEMBLER__
struct hvsim_boot_info {
	uint64_t magic;          /* HVSIM_BOOT_MAGIC */
	uint32_t version;        /* HVSIM_BOOT_VERSION */
	uint32_t flags;          /* HVSIM_BOOT_FLAG_* */
	uint64_t memory_size;    /* bytes of guest-physical RAM from GPA 0 */
	uint64_t image_start;    /* lowest GPA the ELF image occupies */
	uint64_t image_end;      /* one past the highest */
	uint64_t workload;       /* scenario parameter: iterations of the ring 3 loop */
	uint64_t hypercall_loops;/* scenario parameter: extra hypercalls (benchmark) */
	uint32_t partition_id;   /* the partition this kernel runs in */
	uint32_t vp_index;       /* the VP that runs this entry */
	/* A child OS image (ELF) the loader put in this partition's RAM for
	 * the worker process to start in a child partition ("the disk"); both
	 * 0 when there is none. Page-aligned start, inside RAM. */
	uint64_t child_image_start;
	uint64_t child_image_size;
	uint32_t child_flags;    /* HVSIM_BOOT_FLAG_* the worker passes on to its child */
	uint32_t reserved;
	char     cmdline[168];   /* NUL-terminated scenario command line */
};
_Static_assert(sizeof(struct hvsim_boot_info) == 256, "boot info is 256 bytes");
#endif /* __ASSEMBLER__ */

#define HVSIM_BOOT_FLAG_QUIET (1u << 0) /* keep console output short */
/* The machine powered on with no hypervisor: the kernel's hvboot stage
 * should check the CPU and ask the platform to launch one (late launch). */
#define HVSIM_BOOT_FLAG_LATE_LAUNCH (1u << 1)
/* Scenario `badcalls`: after a late launch, instead of its ring 3 programs
 * the kernel runs a ring 0 self-test of partition-management hypercalls
 * with bad input (guest/kernel/badcalls.c), prints one line per check and
 * powers off. */
#define HVSIM_BOOT_FLAG_BAD_INPUT (1u << 2)
/* This kernel runs in a child partition started by a worker process (set
 * by the worker, not by the simulator's loader). */
#define HVSIM_BOOT_FLAG_CHILD (1u << 3)
/* Isolation demo: after its programs the kernel makes its own IDT unusable
 * and faults, which escalates to a triple fault. */
#define HVSIM_BOOT_FLAG_TRIPLE_FAULT (1u << 4)
/* Scenario `io-emulated`: a child kernel runs the ring 3 program "iotest"
 * (write, read back and verify a pattern on its disk through
 * HVSIM_SYS_DISK) instead of "hello"; the worker gives that child an
 * emulated ATA disk (HVSIM_VMWP_DISK_*). */
#define HVSIM_BOOT_FLAG_IO_WORKLOAD (1u << 5)

/* ---- Platform devices (port I/O) ----------------------------------------- */
#define HVSIM_PORT_COM1      0x3F8u  /* 16550-style UART, 8 registers */
#define HVSIM_PORT_COM1_LAST 0x3FFu
#define UART_REG_THR 0  /* write: transmit holding register */
#define UART_REG_RBR 0  /* read: receive buffer */
#define UART_REG_IER 1
#define UART_REG_IIR 2
#define UART_REG_LCR 3
#define UART_REG_MCR 4
#define UART_REG_LSR 5
#define UART_REG_MSR 6
#define UART_REG_SCR 7
#define UART_LSR_DR   0x01 /* data ready */
#define UART_LSR_THRE 0x20 /* transmit holding register empty */
#define UART_LSR_TEMT 0x40 /* transmitter empty */

/* The platform disk: an ATA (IDE) controller, primary channel, one drive
 * (master) with LBA28 addressing and PIO transfers of 512-byte sectors.
 * Command block at HVSIM_PORT_ATA (data, error/features, sector count,
 * LBA 7:0, 15:8, 23:16, drive/head, status/command), control block
 * (alternate status / device control) at HVSIM_PORT_ATA_CTRL. */
#define HVSIM_PORT_ATA       0x1F0u
#define HVSIM_PORT_ATA_LAST  0x1F7u
#define HVSIM_PORT_ATA_CTRL  0x3F6u
#define ATA_REG_DATA     0  /* 16-bit PIO data */
#define ATA_REG_ERROR    1  /* read: error; write: features */
#define ATA_REG_COUNT    2  /* sector count (0 = 256) */
#define ATA_REG_LBA0     3
#define ATA_REG_LBA1     4
#define ATA_REG_LBA2     5
#define ATA_REG_DEVICE   6  /* bit 6 LBA, bit 4 drive (1 = slave), 3:0 LBA 27:24 */
#define ATA_REG_STATUS   7  /* read: status; write: command */
#define ATA_SR_BSY  0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF   0x20
#define ATA_SR_DSC  0x10
#define ATA_SR_DRQ  0x08
#define ATA_SR_ERR  0x01
#define ATA_ER_ABRT 0x04  /* command aborted */
#define ATA_ER_IDNF 0x10  /* address not found */
#define ATA_DEV_LBA   0x40
#define ATA_DEV_SLAVE 0x10
#define ATA_CMD_READ_SECTORS  0x20
#define ATA_CMD_WRITE_SECTORS 0x30
#define ATA_CMD_FLUSH_CACHE   0xE7
#define ATA_CMD_IDENTIFY      0xEC
#define ATA_SECTOR_SIZE 512u

/* Power control: writing HVSIM_POWER_OFF (16 bits) to this port powers the
 * partition off (the same port and value QEMU's ACPI PM1a control uses). */
#define HVSIM_PORT_POWER 0x604u

/* Late launch: a 32-bit write of the image to start asks the platform to
 * launch the hypervisor under the running OS (our hvboot -> hvix64/hvax64).
 * Only meaningful before a hypervisor runs; ignored (with a message) after. */
#define HVSIM_PORT_HVBOOT 0x610u
#define HVSIM_HVBOOT_HVIX64 1u /* the Intel VT-x image */
#define HVSIM_HVBOOT_HVAX64 2u /* the AMD-V image */
#define HVSIM_POWER_OFF  0x2000u

/* ---- Interrupt vectors the mini kernel uses ------------------------------ */
#define HVSIM_VECTOR_SYSCALL_INT 0x80 /* INT 0x80 system call gate, DPL 3 */
#define HVSIM_VECTOR_TIMER       0x40 /* synthetic timer 0, direct mode */
#define HVSIM_VECTOR_INTERCEPT   0x41 /* SINT0: intercept messages (the parent's VID driver) */

/* ---- Guest OS identity the mini kernel writes to HV_X64_MSR_GUEST_OS_ID ----
 * Open-source layout (hv-tlfs.h): bit 63 set, OS type 62:56, OS id 55:48,
 * version 47:16, build 15:0. The TLFS assigns OS types 1-4 (Linux, FreeBSD,
 * Xen, Illumos); 0x48 ('H') is none of them, so a hypervisor can tell the
 * mini kernel from a real OS. Version is major << 16 | minor << 8 | patch. */
#define HVSIM_GUEST_OS_TYPE    0x48u
#define HVSIM_GUEST_OS_ID      0x00u
#define HVSIM_GUEST_OS_VERSION 0x000100u /* 0.1.0 */
#define HVSIM_GUEST_OS_BUILD   1u

/* ---- System call numbers of the mini kernel (RAX) ------------------------ */
#define HVSIM_SYS_WRITE 1 /* RDI = fd (1), RSI = buffer, RDX = length */
#define HVSIM_SYS_EXIT  60 /* RDI = status */
/* The VID driver (guest/kernel/vid.c): partition management for the worker
 * process. RDI = HVSIM_VID_* operation, RSI = partition id (not for create).
 * Returns HVSIM_VID_ERROR if the driver refused the request (unknown
 * operation, bad id, no hypervisor or no CreatePartitions right); otherwise
 * the hypervisor's HV_STATUS_* in bits 15:0 and, for create, the new
 * partition's id in bits 63:16. */
#define HVSIM_SYS_VID   100

#define HVSIM_VID_CREATE_PARTITION 1u /* HvCallCreatePartition */
#define HVSIM_VID_INITIALIZE       2u /* HvCallInitializePartition(RSI) */
#define HVSIM_VID_FINALIZE         3u /* HvCallFinalizePartition(RSI) */
#define HVSIM_VID_DELETE           4u /* HvCallDeletePartition(RSI) */
/* The operations below take RDX as their third argument. */
/* RDX = bytes (a multiple of 4 KiB, at most HVSIM_VID_MEMORY_MAX): the
 * driver takes that much of the parent's free RAM, maps it as the child's
 * RAM from GPA 0 up (MapGpaPages: readable, writable, executable) and lets
 * the worker reach it; the result carries the ring 3 address of the
 * child's GPA 0 in bits 63:16. */
#define HVSIM_VID_MAP_MEMORY       5u
#define HVSIM_VID_CREATE_VP        6u /* HvCallCreateVp(RSI, VP index RDX) */
#define HVSIM_VID_SET_REGISTERS    7u /* HvCallSetVpRegisters: RDX -> struct hvsim_vid_registers */
#define HVSIM_VID_GET_REGISTERS    8u /* HvCallGetVpRegisters: RDX -> struct hvsim_vid_registers (values filled) */
#define HVSIM_VID_INSTALL_INTERCEPT 9u /* HvCallInstallIntercept: RDX -> struct hvsim_vid_intercept */
/* RDX -> 256-byte buffer: waits until the hypervisor sends a message about
 * child RSI (an intercept, or the child's end) to the parent's SINT0, and
 * copies it (struct hv_message). */
#define HVSIM_VID_WAIT_MESSAGE     10u
/* RDX -> struct hvsim_vid_image: where the child image is (readable from
 * ring 3), how big, and the flags to pass on (boot info child_* fields). */
#define HVSIM_VID_GET_IMAGE        11u

#define HVSIM_VID_MEMORY_MAX (8ull << 20)
#define HVSIM_VID_REGS_MAX 16u

#ifndef __ASSEMBLER__
struct hvsim_vid_registers {
	uint32_t vp_index;
	uint32_t count;          /* entries used, at most HVSIM_VID_REGS_MAX */
	struct {
		uint32_t name;       /* HV_X64_REGISTER_* / HV_REGISTER_* */
		uint32_t pad;
		uint64_t value[2];   /* 16-byte register value */
	} reg[HVSIM_VID_REGS_MAX];
};

struct hvsim_vid_intercept {
	uint32_t type;           /* HV_INTERCEPT_TYPE_* */
	uint32_t access_mask;    /* HV_INTERCEPT_ACCESS_MASK_* */
	uint64_t parameter;      /* X64IoPort: the port */
};

struct hvsim_vid_image {
	uint64_t start;          /* ring 3 address of the image (read-only) */
	uint64_t size;
	uint32_t child_flags;
	uint32_t reserved;
};
#endif

#define HVSIM_VID_ERROR       ((uint64_t)-1)
#define HVSIM_VID_STATUS_MASK 0xFFFFull
#define HVSIM_VID_ID_SHIFT    16
/* Ids the result can carry: below 2^48 (the model hands out small ids). */
#define HVSIM_VID_ID_LIMIT    (1ull << (64 - HVSIM_VID_ID_SHIFT))

/* ---- VMBus between a parent and its child (guest/kernel/vmbus-*.c) -------
 * Appended for the VMBus step; facts §4.4, §5.1, §5.6.
 *
 * One SINT carries all of VMBus on both sides: SINT 2 (VMBUS_MESSAGE_SINT)
 * of VP 0, in the parent as in the child. Its SIM slot receives the
 * control messages, its 2048 SIEF flags the channel signals (flag number =
 * the channel's relid, as Hyper-V signals a Win8+ guest). Both kernels
 * point SINT 2 at HVSIM_VECTOR_VMBUS. */
#define HVSIM_VECTOR_VMBUS       0x42 /* SINT 2: VMBus messages and channel events */
#define HVSIM_VMBUS_SINT         2u
#define HVSIM_VMBUS_VP           0u
/* The one channel the parent's VMBus server offers, and the connection id
 * the offer tells the child to signal it with (openvmm's relid | sint << 12). */
#define HVSIM_VMBUS_RELID        1u
#define HVSIM_VMBUS_CHILD_SIGNAL_CONNECTION 0x2001u
/* Ports and connections the worker sets up for its child (VID
 * CREATE_PORT / CONNECT_PORT), before the child's VP first runs:
 *   parent port  PARENT_ID(child, MESSAGE) <- child connection 1
 *                (VMBUS_MESSAGE_CONNECTION_ID: protocol 4.0, below 5.0)
 *   parent port  PARENT_ID(child, EVENT), flag HVSIM_VMBUS_RELID
 *                <- child connection HVSIM_VMBUS_CHILD_SIGNAL_CONNECTION
 *   child port   HVSIM_VMBUS_CHILD_MESSAGE_PORT <- parent connection
 *                PARENT_ID(child, MESSAGE)
 *   child port   HVSIM_VMBUS_CHILD_EVENT_PORT, flag HVSIM_VMBUS_RELID
 *                <- parent connection PARENT_ID(child, EVENT)
 * The parent's ids carry the child's id (ports and connection ids are
 * unique per partition, and a parent may run several children); the origin
 * of a posted message is its port id, so the server knows the sender. */
#define HVSIM_VMBUS_KIND_MESSAGE 1u
#define HVSIM_VMBUS_KIND_EVENT   2u
#define HVSIM_VMBUS_PARENT_ID(child, kind) ((uint32_t)(((child) << 8) | (kind)))
#define HVSIM_VMBUS_CHILD_MESSAGE_PORT 1u
#define HVSIM_VMBUS_CHILD_EVENT_PORT   2u

/* VID operations for ports (RSI = the child; RDX -> the struct below). */
#define HVSIM_VID_CREATE_PORT      12u /* HvCallCreatePort: struct hvsim_vid_port */
#define HVSIM_VID_CONNECT_PORT     13u /* HvCallConnectPort: struct hvsim_vid_connection */
/* RDX = 0: the parent's VMBus server starts serving child RSI (its RAM as
 * VID MAP_MEMORY mapped it, the ids above). */
#define HVSIM_VID_VMBUS_START      14u

/* Which partition a port or connection lives in. */
#define HVSIM_VID_IN_PARENT 0u
#define HVSIM_VID_IN_CHILD  1u

#ifndef __ASSEMBLER__
struct hvsim_vid_port {
	uint32_t where;          /* HVSIM_VID_IN_*: whose port (the other one connects) */
	uint32_t port_id;
	uint32_t type;           /* HV_PORT_TYPE_MESSAGE or HV_PORT_TYPE_EVENT */
	uint32_t sint;
	uint32_t vp;
	uint16_t base_flag;      /* event ports */
	uint16_t flag_count;
};

struct hvsim_vid_connection {
	uint32_t where;          /* HVSIM_VID_IN_*: whose connection (the port is the other's) */
	uint32_t connection_id;
	uint32_t port_id;
	uint32_t type;           /* the port's type */
};
#endif

/* ---- The disk system call (guest/kernel/ata.c, syscall.c) -----------------
 * HVSIM_SYS_DISK: RDI = HVSIM_DISK_* operation, RSI = ring 3 address of a
 * struct hvsim_disk_request (not for INFO). The kernel's ATA PIO driver
 * moves whole 512-byte sectors between the disk and the buffer, which must
 * lie in ring 3 memory (writable for READ). Returns the sectors moved (for
 * INFO: the disk's size in sectors) or one of the HVSIM_DISK_ERROR_*. */
#define HVSIM_SYS_DISK 101

#define HVSIM_DISK_INFO  1u
#define HVSIM_DISK_READ  2u
#define HVSIM_DISK_WRITE 3u
/* Sectors per request: one ATA command (its count register, 0 = 256). */
#define HVSIM_DISK_SECTORS_MAX 256u

#ifndef __ASSEMBLER__
struct hvsim_disk_request {
	uint64_t lba;            /* first sector */
	uint64_t buffer;         /* ring 3 address of sectors * 512 bytes */
	uint32_t sectors;        /* 1 .. HVSIM_DISK_SECTORS_MAX */
	uint32_t reserved;       /* must be 0 */
};
#endif

#define HVSIM_DISK_ERROR_ARGUMENT ((uint64_t)-1) /* bad operation, request or buffer */
#define HVSIM_DISK_ERROR_RANGE    ((uint64_t)-2) /* sectors past the end of the disk */
#define HVSIM_DISK_ERROR_DEVICE   ((uint64_t)-3) /* no disk, or it failed or timed out */

/* ATA device control register (HVSIM_PORT_ATA_CTRL, write): nIEN, no
 * interrupts from the drive (the mini kernel polls). */
#define ATA_CTL_NIEN 0x02

/* The emulated disk a worker process gives its child (scenario
 * io-emulated): the child's sector n is the parent's sector
 * HVSIM_VMWP_DISK_BASE_LBA + n, for n below HVSIM_VMWP_DISK_SECTORS
 * (256 KiB at 512 KiB into the platform disk). */
#define HVSIM_VMWP_DISK_BASE_LBA 1024u
#define HVSIM_VMWP_DISK_SECTORS  512u

/* ---- The synthetic storage path (storvsc/storvsp, facts §7.4) ------------
 * Appended for the storage step. Scenario `io-synthetic`: the child runs
 * iotest like io-emulated (HVSIM_BOOT_FLAG_IO_WORKLOAD is set too), but its
 * kernel moves the sectors with storvsc over the VMBus storage channel
 * instead of ATA ports, and the worker installs no ATA intercepts. */
#define HVSIM_BOOT_FLAG_IO_SYNTHETIC (1u << 6)
/* Tests only: before its workload the child's storvsc sends three requests
 * the parent's storvsp must refuse (a data page outside the child's RAM, an
 * LBA outside its disk, an unknown vstor operation) and says how each was
 * answered. */
#define HVSIM_BOOT_FLAG_STORVSC_HOSTILE (1u << 7)

/* The storage channel the parent's VMBus server offers beside the
 * heartbeat one, with its own pair of event ports and connections (flag =
 * relid on both sides, as for HVSIM_VMBUS_RELID):
 *   parent port  PARENT_ID(child, STORAGE_EVENT), flag HVSIM_VMBUS_STORAGE_RELID
 *                <- child connection HVSIM_VMBUS_STORAGE_SIGNAL_CONNECTION
 *   child port   HVSIM_VMBUS_CHILD_STORAGE_PORT, flag HVSIM_VMBUS_STORAGE_RELID
 *                <- parent connection PARENT_ID(child, STORAGE_EVENT) */
#define HVSIM_VMBUS_STORAGE_RELID             2u
#define HVSIM_VMBUS_STORAGE_SIGNAL_CONNECTION 0x2002u
#define HVSIM_VMBUS_KIND_STORAGE_EVENT        3u
#define HVSIM_VMBUS_CHILD_STORAGE_PORT        3u

/* The child's synthetic disk: child sector n is the parent's sector
 * HVSIM_STORVSP_DISK_BASE_LBA + n, for n below HVSIM_STORVSP_DISK_SECTORS
 * (256 KiB at 768 KiB into the platform disk, after io-emulated's region). */
#define HVSIM_STORVSP_DISK_BASE_LBA 1536u
#define HVSIM_STORVSP_DISK_SECTORS  512u

/* ---- VMBus life cycle and hostile channel users --------------------------
 * Appended for the channel life cycle. Tests only: a child with this flag
 * (and HVSIM_BOOT_FLAG_IO_SYNTHETIC) misbehaves before its workload; the
 * parent must refuse each case with a line and keep serving:
 *   (a) its storage ring's write_index beyond the ring, (b) not 8-aligned,
 *   (c) a packet whose len8 runs past the data written, (d) a packet whose
 *   offset8 lies beyond its end (after each, the child closes the channel,
 *   tears its GPADL down and opens it again);
 *   (e) a GPADL_HEADER naming a page outside its RAM; (f) OPENCHANNEL for
 *   a relid never offered; (h) a 241-byte HvCallPostMessage (refused by
 *   the hypervisor: the child prints the status); then UNLOAD, and
 *   (g) a GPADL_HEADER after UNLOAD; then contact again, the storage
 *   channel re-opened and its workload run. */
#define HVSIM_BOOT_FLAG_VMBUS_HOSTILE (1u << 8)

/* ---- A SLAT violation on purpose -----------------------------------------
 * Appended for the lessons (memory virtualization). A child with this flag,
 * after its programs, reads the first byte past its RAM: a guest-physical
 * address its GPA map does not hold. With SLAT that is an EPT violation
 * (exit reason 48): the hypervisor suspends the VP and sends the parent an
 * unmapped-GPA message (HVMSG_UNMAPPED_GPA), and the worker ends the child.
 * (The kernel's own page tables map only its RAM: it maps that one page
 * first, so the access reaches the SLAT on hardware too.) */
#define HVSIM_BOOT_FLAG_TOUCH_UNMAPPED (1u << 9)

/* ---- String port I/O -------------------------------------------------------
 * Appended for native conformance (the "unmapped" scenario). A child with
 * this flag, after its programs, writes 4 bytes to port 0x80 with REP
 * OUTSB, reads 3 with REP INSB and writes a word with OUTSW: no device and
 * no intercept there, so one I/O exit per element (reads return 0xff),
 * and prints what it read. */
#define HVSIM_BOOT_FLAG_STRING_IO (1u << 10)

#endif /* HVSIM_ABI_HVSIM_PLATFORM_H */
