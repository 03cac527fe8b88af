import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** A real SMTP server in-process (smtp-server) with password auth; parsed messages are kept. */
export class SmtpPeer {
  readonly messages: ParsedMail[] = [];
  /** Whether each accepted message arrived over TLS. */
  readonly secured: boolean[] = [];
  private server: SMTPServer | null = null;
  port = 0;
  /** Reply to RCPT with this SMTP code (e.g. 451 temporary, 550 permanent) while set. */
  rejectRecipientsWith: number | null = null;

  constructor(
    readonly credentials = { user: 'alerts', pass: 's3cret-smtp' },
    /** With a key and certificate the server offers STARTTLS (or, with implicitTls, speaks TLS from the start). */
    private readonly tls?: { key: string; cert: string; implicitTls?: boolean },
  ) {}

  async start(): Promise<void> {
    this.server = new SMTPServer({
      authOptional: false,
      allowInsecureAuth: !this.tls,
      disabledCommands: this.tls ? [] : ['STARTTLS'],
      secure: Boolean(this.tls?.implicitTls),
      key: this.tls?.key,
      cert: this.tls?.cert,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.credentials.user && auth.password === this.credentials.pass)
          return callback(null, { user: auth.username });
        return callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      },
      onRcptTo: (_address, _session, callback) => {
        if (this.rejectRecipientsWith)
          return callback(Object.assign(new Error('Recipient refused'), { responseCode: this.rejectRecipientsWith }));
        callback();
      },
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((mail) => {
            this.messages.push(mail);
            this.secured.push(Boolean(session.secure));
            callback();
          })
          .catch(callback);
      },
      logger: false,
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server!.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
