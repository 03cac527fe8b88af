import { NO_EGRESS_POLICY, PeerClient } from '../shared/http-post';

/** The sidecar's HTTP client: it calls AlertAgent and the engine beside it, both set by the operator, so no egress policy applies. */
export const sidecarPeers = new PeerClient(NO_EGRESS_POLICY);
