/** A sealed secret as stored: key id, nonce, auth tag and ciphertext, all base64. */
export interface SealedSecret {
  kid: string;
  iv: string;
  tag: string;
  data: string;
}
