// SPDX-License-Identifier: GPL-2.0-only
/* A picture that can be checked pixel by pixel, for test-vfio-display.sh.
 *   fb-pattern draw FBDEV      inside the guest: fill the visible screen of
 *                              FBDEV (/dev/fb0) with the pattern; prints
 *                              "WIDTHxHEIGHT"
 *   fb-pattern check FILE.ppm WIDTH HEIGHT
 *                              on the lab host: does the screendump FILE (a
 *                              binary PPM, as QEMU's screendump writes it)
 *                              show the pattern at WIDTHxHEIGHT? Prints
 *                              "match" (exit 0) or what differs (exit 1)
 * Every pixel's colour is a function of its position that no two pixels of
 * a screen up to 4096x4096 share, so a wrong stride, offset, size or pixel
 * format shows. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

static void pattern(unsigned x, unsigned y, uint8_t rgb[3])
{
	rgb[0] = x & 0xff;
	rgb[1] = y & 0xff;
	rgb[2] = ((x >> 8) & 0xf) | ((y >> 8) & 0xf) << 4;
}

static int draw(const char *dev)
{
	struct fb_var_screeninfo var;
	struct fb_fix_screeninfo fix;
	uint8_t *frame;
	size_t len;
	int fd = open(dev, O_RDWR);

	if (fd < 0 || ioctl(fd, FBIOGET_VSCREENINFO, &var) < 0 || ioctl(fd, FBIOGET_FSCREENINFO, &fix) < 0) {
		fprintf(stderr, "fb-pattern: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	/* The one layout written here: 32 bits a pixel, 8 bits a colour. */
	if (var.bits_per_pixel != 32 || var.red.length != 8 || var.green.length != 8 || var.blue.length != 8 ||
	    fix.line_length < var.xres * 4) {
		fprintf(stderr, "fb-pattern: %s: %u bpp, RGB %u/%u/%u at %u/%u/%u, line %u bytes: not a 32-bit RGB format\n",
			dev, var.bits_per_pixel, var.red.length, var.green.length, var.blue.length, var.red.offset,
			var.green.offset, var.blue.offset, fix.line_length);
		return 1;
	}
	/* Have the driver show this frame buffer now: the DRM fbdev emulation
	 * sets its mode only when the console takes it over, and the console
	 * here is a serial port. */
	var.activate = FB_ACTIVATE_NOW | FB_ACTIVATE_FORCE;
	if (ioctl(fd, FBIOPUT_VSCREENINFO, &var) < 0) {
		fprintf(stderr, "fb-pattern: %s: setting its mode: %s\n", dev, strerror(errno));
		return 1;
	}
	len = (size_t)fix.line_length * var.yres;
	frame = calloc(1, len);
	if (!frame)
		return 1;
	for (unsigned y = 0; y < var.yres; y++)
		for (unsigned x = 0; x < var.xres; x++) {
			uint8_t rgb[3];
			uint32_t px;

			pattern(x, y, rgb);
			px = (uint32_t)rgb[0] << var.red.offset | (uint32_t)rgb[1] << var.green.offset |
			     (uint32_t)rgb[2] << var.blue.offset;
			memcpy(frame + (size_t)y * fix.line_length + x * 4, &px, 4);
		}
	/* One write of the whole frame: the DRM fbdev emulation of Debian's
	 * 6.1 guest kernel flushed nothing of one-line writes to the device
	 * (its damage rectangle for a write that ends at a line's end, within
	 * one line, came out empty; measured in the lab: 16 non-zero words of
	 * the device's memory after 800 of them). */
	if (pwrite(fd, frame, len, (off_t)var.yoffset * fix.line_length) != (ssize_t)len) {
		fprintf(stderr, "fb-pattern: %s: writing the frame: %s\n", dev, strerror(errno));
		return 1;
	}
	fsync(fd);
	printf("%ux%u\n", var.xres, var.yres);
	return 0;
}

static int check(const char *file, unsigned width, unsigned height)
{
	unsigned w, h, maxval, bad = 0, black = 0, fx = 0, fy = 0;
	uint8_t got[3] = { 0 }, want[3] = { 0 }, px[3];
	FILE *f = fopen(file, "rb");

	if (!f) {
		printf("%s: %s\n", file, strerror(errno));
		return 1;
	}
	if (fscanf(f, "P6 %u %u %u", &w, &h, &maxval) != 3 || fgetc(f) == EOF) {
		printf("%s: not a binary PPM\n", file);
		return 1;
	}
	if (w != width || h != height || maxval != 255) {
		printf("%s: %ux%u (maxval %u), not %ux%u\n", file, w, h, maxval, width, height);
		return 1;
	}
	for (unsigned y = 0; y < h; y++) {
		for (unsigned x = 0; x < w; x++) {
			uint8_t p[3];

			if (fread(px, 1, 3, f) != 3) {
				printf("%s: ends at pixel (%u,%u)\n", file, x, y);
				return 1;
			}
			pattern(x, y, p);
			black += !px[0] && !px[1] && !px[2];
			if (memcmp(p, px, 3) && !bad++) {
				fx = x, fy = y;
				memcpy(got, px, 3);
				memcpy(want, p, 3);
			}
		}
	}
	if (bad) {
		printf("%u of %u pixels differ (%u black); the first at (%u,%u): %02x%02x%02x, not %02x%02x%02x\n", bad,
		       w * h, black, fx, fy, got[0], got[1], got[2], want[0], want[1], want[2]);
		return 1;
	}
	printf("match\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "draw"))
		return draw(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "check"))
		return check(argv[2], (unsigned)strtoul(argv[3], NULL, 10), (unsigned)strtoul(argv[4], NULL, 10));
	fprintf(stderr, "usage: fb-pattern draw FBDEV | check FILE.ppm WIDTH HEIGHT\n");
	return 2;
}
