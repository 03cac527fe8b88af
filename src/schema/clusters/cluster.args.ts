import { ArgsType, Field, ID } from 'type-graphql';
import { ListArgs } from '../common/list.args';
import { ClusterSortFieldName } from './cluster.type';

@ArgsType()
export class ClusterEventArgs {
  @Field(() => ID, { nullable: true, description: 'Only this cluster' })
  clusterId?: string;
}

@ArgsType()
export class ClustersArgs extends ListArgs {
  @Field(() => String, { nullable: true, description: 'healthy, degraded, down or unknown' })
  status?: string | null;

  @Field(() => ClusterSortFieldName, { defaultValue: ClusterSortFieldName.NAME })
  sortBy!: ClusterSortFieldName;
}
