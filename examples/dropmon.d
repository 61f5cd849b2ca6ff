/*
 * dropmon.d: count dropped network packets by the kernel location dropping them.
 * The 2015 BPF "dropmon" sample, in D: every skb freed as a drop fires
 * skb:kfree_skb, whose location field is the caller's address.
 *
 *   dtrace -qs examples/dropmon.d        (Ctrl-C prints the table)
 */

sdt:skb::kfree_skb
{
	@drops[sym(args[1])] = count();
}
