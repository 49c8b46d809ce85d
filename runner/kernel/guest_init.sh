#!/bin/busybox sh
# placeholder: written by the kernel stage
