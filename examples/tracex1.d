/*
 * tracex1.d: packets received on the loopback device, filtered in the kernel
 * by walking kernel pointers (the 2015 BPF "tracex1" sample, in D):
 * net:netif_receive_skb gives the sk_buff; its device's name must be "lo".
 *
 *   dtrace -qs examples/tracex1.d
 */

sdt:net::netif_receive_skb
/stringof(((struct sk_buff *)args[0])->dev->name) == "lo"/
{
	printf("skb %p len %u\n", args[0], ((struct sk_buff *)args[0])->len);
}
