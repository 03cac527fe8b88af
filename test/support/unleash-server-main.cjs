// Runs the real Unleash server (npm unleash-server) for tests, in its own process, configured
// from the environment the way a deployment configures it: API tokens created at start.
const unleash = require('unleash-server');

const db = new URL(process.env.UNLEASH_TEST_DATABASE_URL);
unleash
  .start({
    db: {
      host: db.hostname,
      port: Number(db.port || 5432),
      user: decodeURIComponent(db.username),
      password: decodeURIComponent(db.password),
      database: db.pathname.slice(1),
      ssl: false,
    },
    server: { port: Number(process.env.UNLEASH_TEST_PORT), host: '127.0.0.1' },
    authentication: {
      type: 'open-source',
      enableApiToken: true,
      initApiTokens: [
        { environment: '*', project: '*', secret: process.env.UNLEASH_TEST_ADMIN_TOKEN, type: 'admin', tokenName: 'tests-admin' },
        {
          environment: 'development',
          project: '*',
          secret: process.env.UNLEASH_TEST_CLIENT_TOKEN,
          type: 'client',
          tokenName: 'alertagent',
        },
      ],
    },
    logLevel: 'error',
  })
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
