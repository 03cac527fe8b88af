import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { BadUserInputError } from '../errors';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { AlertmanagerImportType } from '../schema/import/alertmanager-import.type';
import type { AlertmanagerImporter } from '../services/import/alertmanager-importer';

/** The largest alertmanager.yml an import takes. */
const MAX_CONFIG_CHARS = 1024 * 1024;

/** Moving from a plain Alertmanager setup: its receivers, routes, inhibit rules and mute intervals. */
@Resolver()
export class ImportResolver {
  constructor(private readonly importer: AlertmanagerImporter) {}

  @Authorized('routes:write')
  @Mutation(() => AlertmanagerImportType, {
    description:
      'Imports an alertmanager.yml: receivers as channels, the route tree as routes with the same routing, inhibit rules, mute time intervals as maintenance windows; with dryRun only says what it would do. Importing the same file twice changes nothing.',
  })
  async importAlertmanagerConfig(
    @Arg('yaml') yaml: string,
    @Arg('dryRun', { defaultValue: false }) dryRun: boolean,
    @Ctx() context: GraphQLContext,
  ): Promise<AlertmanagerImportType> {
    if (yaml.length > MAX_CONFIG_CHARS) throw BadUserInputError.forField('yaml', `at most ${MAX_CONFIG_CHARS} characters`);
    const outcome = await this.importer.run(yaml, dryRun, actorFrom(context));
    return { dryRun: outcome.dryRun, items: outcome.report, changes: outcome.changes };
  }
}
