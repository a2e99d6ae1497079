/* rtc.c - the CMOS real-time clock (MC146818 registers at ports 0x70/0x71).
 * Lab 8 (given). The date and time are read once at boot; afterwards the
 * timer's ticks count the seconds (rtc.h). */
#include <stdbool.h>

#include "kinit.h"
#include "pit.h"
#include "rtc.h"
#include "x86.h"

#define CMOS_INDEX 0x70              /* bit 7 set: NMIs stay disabled while we read */
#define CMOS_DATA  0x71
#define CMOS_NMI_OFF 0x80

enum { SEC = 0x00, MIN = 0x02, HOUR = 0x04, DAY = 0x07, MONTH = 0x08, YEAR = 0x09,
       STATUS_A = 0x0A, STATUS_B = 0x0B, CENTURY = 0x32 };
#define A_UPDATING 0x80              /* status A: an update is under way, values unstable */
#define B_24H      0x02              /* status B: hours 0..23 (else 1..12 with bit 7 = PM) */
#define B_BINARY   0x04              /* status B: binary values (else BCD) */

static uint64_t boot_seconds;        /* the CMOS time at boot_tick; written once at boot */
static uint64_t boot_tick;

static uint8_t cmos_read(uint8_t reg)
{
    outb(CMOS_INDEX, CMOS_NMI_OFF | reg);
    return inb(CMOS_DATA);
}

/* The six date/time registers and the century, once no update is running. */
static void cmos_snapshot(uint8_t v[7])
{
    static const uint8_t regs[7] = {SEC, MIN, HOUR, DAY, MONTH, YEAR, CENTURY};

    for (int spins = 0; spins < 1000000 && (cmos_read(STATUS_A) & A_UPDATING); spins++)
        ;
    for (int i = 0; i < 7; i++)
        v[i] = cmos_read(regs[i]);
}

static unsigned from_bcd(uint8_t x, bool binary)
{
    return binary ? x : (x >> 4) * 10 + (x & 0x0F);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m 1..12). */
static uint64_t days_since_epoch(unsigned y, unsigned m, unsigned d)
{
    /* Count March as month 1, so that February's leap day ends the year. */
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y % 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* Boot step: read the clock, twice until two reads agree (an update may
 * fall between register reads). */
static void rtc_init(void)
{
    uint8_t a[7], b[7];
    int tries = 0;

    cmos_snapshot(a);
    do {
        for (int i = 0; i < 7; i++)
            b[i] = a[i];
        cmos_snapshot(a);
    } while (++tries < 10 && (a[0] != b[0] || a[1] != b[1] || a[2] != b[2] || a[3] != b[3] ||
                              a[4] != b[4] || a[5] != b[5]));
    uint8_t status = cmos_read(STATUS_B);
    bool binary = status & B_BINARY;
    bool pm = !(status & B_24H) && (a[2] & 0x80);
    unsigned sec = from_bcd(a[0], binary), min = from_bcd(a[1], binary);
    unsigned hour = from_bcd(a[2] & 0x7F, binary), day = from_bcd(a[3], binary);
    unsigned month = from_bcd(a[4], binary), year = from_bcd(a[5], binary);
    unsigned century = from_bcd(a[6], binary);

    if (!(status & B_24H))
        hour = hour % 12 + (pm ? 12 : 0);        /* 12 AM is 0, 12 PM is 12 */
    year += (century >= 19 && century <= 30) ? century * 100 : (year < 70 ? 2000 : 1900);
    if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || month < 1 || month > 12)
        return;                      /* no clock (or garbage): rtc_now stays 0-based */
    boot_seconds = days_since_epoch(year, month, day) * 86400 + hour * 3600 + min * 60 + sec;
    boot_tick = pit_ticks();
}
KINIT(54, rtc_init);

uint64_t rtc_now(void)
{
    unsigned hz = pit_hz();

    if (boot_seconds == 0)
        return 0;
    return boot_seconds + (hz ? (pit_ticks() - boot_tick) / hz : 0);
}
