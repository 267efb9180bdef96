/**
 * @file xmppim.h
 * @brief libxmppim: RFC 6121 instant messaging and presence over RFC 6120
 * streams, sans-IO, for clients and servers. Include this one header.
 *
 * Threads: no object is thread-safe; distinct objects may be used from
 * distinct threads at once.
 */
#ifndef XMPPIM_H
#define XMPPIM_H

#include <xmppim/common.h>
#include <xmppim/version.h>
#include <xmppim/stanza.h>
#include <xmppim/jid.h>
#include <xmppim/session.h>
#include <xmppim/sasl.h>
#include <xmppim/errors.h>
#include <xmppim/subscription.h>
#include <xmppim/roster.h>
#include <xmppim/server.h>
#include <xmppim/memory_store.h>
#include <xmppim/delivery.h>
#include <xmppim/message.h>
#include <xmppim/chat.h>
#include <xmppim/presence.h>
#include <xmppim/features.h>
#if XMPPIM_HAVE_SOCKETS
#include <xmppim/net.h>
#include <xmppim/loop.h>
#endif
#if XMPPIM_HAVE_TLS
#include <xmppim/tls.h>
#endif
#if XMPPIM_HAVE_SOCKETS && XMPPIM_HAVE_TLS
#include <xmppim/client.h>
#endif

#endif /* XMPPIM_H */
