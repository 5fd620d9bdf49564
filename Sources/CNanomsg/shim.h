#ifndef DOCKER_LIBRATO_CNANOMSG_SHIM_H
#define DOCKER_LIBRATO_CNANOMSG_SHIM_H
// Swift cannot import NN_PUSH/NN_PULL/NN_PUB/NN_SUB/NN_REQ/NN_REP (compound macro expressions); re-export them as constants.
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>
#include <nanomsg/tcp.h>
#include <nanomsg/ipc.h>

static const int CNN_PUSH = NN_PUSH;
static const int CNN_PULL = NN_PULL;
static const int CNN_PUB = NN_PUB;
static const int CNN_SUB = NN_SUB;
static const int CNN_SUB_SUBSCRIBE = NN_SUB_SUBSCRIBE;
static const int CNN_SUB_UNSUBSCRIBE = NN_SUB_UNSUBSCRIBE;
static const int CNN_REQ = NN_REQ;
static const int CNN_REP = NN_REP;
static const int CNN_REQ_RESEND_IVL = NN_REQ_RESEND_IVL;

/// Zero-copy receive without blocking: returns the message size or -1 (errno set); *out owns the buffer
/// (free it with nn_freemsg).
static inline int cnn_recv_msg_dontwait(int s, void **out) {
    return nn_recv(s, out, NN_MSG, NN_DONTWAIT);
}
#endif
