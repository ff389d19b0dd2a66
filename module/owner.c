// SPDX-License-Identifier: GPL-2.0
/*
 * Exclusive ownership of one direction of a socket, held across waits.
 *
 * A reader that sleeps for more data (or a sender that sleeps for send
 * buffer space) gives up the socket lock while it waits, but it still
 * holds pointers into the direction's state: the last record it peeked,
 * the record it is filling. A second caller let in meanwhile would free
 * or change them under it (pitfall class "concurrent callers on one
 * socket"). So each direction has an owner flag, taken and dropped under
 * the socket lock and kept across every wait; other callers sleep
 * interruptibly until it is free, within their own timeout.
 */
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <net/sock.h>

#include "tls.h"

/**
 * ktls_woken_wake() - wake function of our callers' waits on the socket
 * @entry: the wait entry
 * @mode: which tasks to wake
 * @sync: as for any wake function
 * @key: poll events of the wake-up
 *
 * What woken_wake_function() does, under a name of our own: the parser
 * tells a reader of ours on sk_sleep() from a task still inside TCP's own
 * recvmsg (ktls_parser_tcp_reader()), which waits with
 * woken_wake_function() itself.
 *
 * Return: what woken_wake_function() returns.
 */
int ktls_woken_wake(struct wait_queue_entry *entry, unsigned int mode,
		    int sync, void *key)
{
	return woken_wake_function(entry, mode, sync, key);
}

/**
 * ktls_tx_woken_wake() - ktls_woken_wake(), for our senders
 * @entry: the wait entry
 * @mode: which tasks to wake
 * @sync: as for any wake function
 * @key: poll events of the wake-up
 *
 * Our senders count in sk_write_pending, as TCP's own do; the parser
 * tells TCP's readers from TCP's senders by that count, less ours.
 *
 * Return: what woken_wake_function() returns.
 */
int ktls_tx_woken_wake(struct wait_queue_entry *entry, unsigned int mode,
		       int sync, void *key)
{
	return woken_wake_function(entry, mode, sync, key);
}

void ktls_owner_init(struct ktls_owner *o)
{
	o->held = false;
	init_waitqueue_head(&o->wq);
}

/**
 * ktls_owner_acquire() - become the owner of @o, waiting if needed
 * @sk: the socket, locked by the caller; unlocked while waiting
 * @o: the owner flag of one direction
 * @timeo: how long the caller may still wait; consumed by the wait
 *
 * Return: 0 when the caller owns @o; -EAGAIN when it is taken and the
 * time is up (or was zero: MSG_DONTWAIT, SO_*TIMEO); the signal errno
 * when interrupted.
 */
int ktls_owner_acquire(struct sock *sk, struct ktls_owner *o, long *timeo)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);

	while (o->held) {
		if (!*timeo)
			return -EAGAIN;
		if (signal_pending(current))
			return sock_intr_errno(*timeo);
		add_wait_queue(&o->wq, &wait);
		sk_wait_event(sk, timeo, !READ_ONCE(o->held), &wait);
		remove_wait_queue(&o->wq, &wait);
	}
	WRITE_ONCE(o->held, true);
	return 0;
}

/* Give @o up (socket lock held) and let the next waiter in. */
void ktls_owner_release(struct ktls_owner *o)
{
	WRITE_ONCE(o->held, false);
	wake_up_interruptible(&o->wq);
}
