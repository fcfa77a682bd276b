"""Everything between the host and a board: firmware builds, QEMU, serial ports, flashing, the framed protocol and link, device and host-library targets, and the training loops that drive them."""
