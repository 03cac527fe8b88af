import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum ComponentStatusName {
  UP = 'up',
  DOWN = 'down',
  DISABLED = 'disabled',
}
registerEnumType(ComponentStatusName, { name: 'ComponentStatus' });

export enum StorageModeName {
  POSTGRES = 'postgres',
  EMBEDDED = 'embedded',
}
registerEnumType(StorageModeName, { name: 'StorageMode', description: 'postgres = DATABASE_URL; embedded = in-process PGlite' });

@ObjectType({ description: 'One dependency of this process and whether it answers' })
export class ComponentHealthType {
  @Field()
  name!: string;

  @Field(() => ComponentStatusName)
  status!: ComponentStatusName;

  @Field(() => Float, { nullable: true, description: 'Round trip of the check in milliseconds' })
  latencyMs!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;
}

@ObjectType('Health', { description: 'Whether this AlertAgent process can serve' })
export class HealthType {
  @Field({
    description: 'ok; degraded when an optional dependency (Redis) is away and alerts still flow; down when what arrives cannot be stored',
  })
  status!: string;

  @Field(() => StorageModeName)
  mode!: StorageModeName;

  @Field(() => Int)
  uptimeSeconds!: number;

  @Field(() => [ComponentHealthType])
  components!: ComponentHealthType[];

  @Field(() => [String], { description: 'What works differently while degraded, one line per part' })
  degradations!: string[];
}

@ObjectType('Version')
export class VersionType {
  @Field({ description: 'AlertAgent release' })
  version!: string;

  @Field({ description: 'Node.js version of this process' })
  node!: string;
}
