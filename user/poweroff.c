/* poweroff.c - write the disk back and turn the machine off: Linux's
 * reboot(2) with LINUX_REBOOT_CMD_POWER_OFF. Lab 8. */
#include "ulib.h"

#define SYS_reboot 169
#define REBOOT_MAGIC1 0xfee1dead
#define REBOOT_MAGIC2 672274793
#define REBOOT_CMD_POWER_OFF 0x4321fedc

int main(void)
{
    long err = syscall6(SYS_reboot, REBOOT_MAGIC1, REBOOT_MAGIC2, REBOOT_CMD_POWER_OFF, 0, 0, 0);

    dprintf(2, "poweroff: %s (%ld)\n", errstr(err), err);
    return 1;
}
