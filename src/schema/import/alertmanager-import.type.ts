import { Field, ObjectType } from 'type-graphql';

@ObjectType('AlertmanagerImportItem', { description: 'What one item of alertmanager.yml became' })
export class AlertmanagerImportItemType {
  @Field({ description: 'Where it is in the file, e.g. route.routes.2 or receivers.0.slack_configs.0' })
  source!: string;

  @Field({ description: 'mapped, mapped with changes, or not mapped' })
  status!: string;

  @Field({ description: 'What it became, or what changed, or why it could not be mapped' })
  detail!: string;
}

@ObjectType('AlertmanagerImportChange', { description: 'What the import did (or, in a dry run, would do) to one AlertAgent object' })
export class AlertmanagerImportChangeType {
  @Field({ description: 'channel, route, inhibition rule or maintenance window' })
  kind!: string;

  @Field()
  name!: string;

  @Field({ description: 'create, update or unchanged' })
  action!: string;
}

@ObjectType('AlertmanagerImport')
export class AlertmanagerImportType {
  @Field()
  dryRun!: boolean;

  @Field(() => [AlertmanagerImportItemType])
  items!: AlertmanagerImportItemType[];

  @Field(() => [AlertmanagerImportChangeType])
  changes!: AlertmanagerImportChangeType[];
}
