/*
 * inet_ntoa6 / inet_ntop on bytes written into alloca()d memory: "::"
 * compression of the longest zero run, v4-mapped/compatible forms (inet_ntoa6
 * prints only the IPv4 part), AF_INET = 2, AF_INET6 = 10; another family is an
 * illegal operation fault that fires ERROR (arg4 = 3) and drops the clause.
 */
#pragma D option quiet
BEGIN {
  a = (uint8_t *)alloca(16);
  a[0] = 0xfe; a[1] = 0x80; a[8] = 0x02; a[9] = 0x14; a[10]=0x4f; a[11]=0xff; a[12]=0xfe; a[13]=0x0b; a[14]=0x76; a[15]=0xc8;
  printf("%s\n", inet_ntoa6(a));
  printf("%s\n", inet_ntop(10, a));
  bzero = 0;
}
BEGIN {
  b = (uint32_t *)alloca(16);
  b[0] = 0; b[1] = 0; b[2] = 0xffff0000; b[3] = 0x0100007f;
  printf("%s %s\n", inet_ntoa6(b), inet_ntop(10, b));
  b[2] = 0; printf("%s %s\n", inet_ntoa6(b), inet_ntop(10, b));
  b[3] = 0x01000000; printf("%s %s\n", inet_ntoa6(b), inet_ntop(10, b));
  b[3] = 0; printf("%s %s\n", inet_ntoa6(b), inet_ntop(10, b));
  b[0] = 0x00000120; b[1] = 0x0100b80d; b[3]= 0x01000000;
  printf("%s %s\n", inet_ntoa6(b), inet_ntop(2, b));
  b[0] = 0xffffffff; b[1] = 0xffffffff; b[2] = 0xffffffff; b[3]= 0xffffffff;
  printf("%s %s\n", inet_ntoa6(b), inet_ntop(2, b));
}
BEGIN { printf("%s\n", inet_ntop(3, b));
}
BEGIN { exit(0); }
ERROR { printf("ERROR %d %d %d %d %x\n", arg1, arg2, arg3, arg4, arg5); }
