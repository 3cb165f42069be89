import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { useClient } from "../../api/useClient";
import { PipelineService, type Job, type Pipeline } from "../../gen/hearth/v1/pipeline_pb";
import { isActive } from "./pipelineState";

// How often a page showing something still running asks again.
export const pollInterval = 3000;
const pageSize = 20;

export const pipelinesKey = (owner: string, name: string) => ["pipelines", owner.toLowerCase(), name.toLowerCase()] as const;
export const pipelineKey = (id: string) => ["pipeline", id] as const;
export const jobKey = (id: string) => ["job", id] as const;
export const artifactsKey = (jobId: string) => ["artifacts", jobId] as const;

// pipelineActive: the pipeline or one of its jobs may still change.
export function pipelineActive(p: Pipeline): boolean {
  return isActive(p.state) || p.jobs.some((j) => isActive(j.state));
}

// usePipelines lists a project's pipelines, newest first, a page at a
// time; every loaded page is asked again while one of them runs.
export function usePipelines(owner: string, name: string) {
  const pipelines = useClient(PipelineService);
  return useInfiniteQuery({
    queryKey: pipelinesKey(owner, name),
    queryFn: ({ pageParam, signal }) => pipelines.listPipelines({ owner, name, pageSize, pageToken: pageParam }, { signal }),
    initialPageParam: "",
    getNextPageParam: (last) => last.nextPageToken || undefined,
    staleTime: 0,
    refetchInterval: (query) =>
      query.state.data?.pages.some((page) => page.pipelines.some(pipelineActive)) ? pollInterval : false,
  });
}

// usePipeline loads one pipeline with its jobs, again and again while it runs.
export function usePipeline(id: string) {
  const pipelines = useClient(PipelineService);
  return useQuery({
    queryKey: pipelineKey(id),
    queryFn: ({ signal }) =>
      pipelines.getPipeline({ id }, { signal }).then((res) => {
        if (!res.pipeline) {
          throw new Error("the server sent no pipeline");
        }
        return res.pipeline;
      }),
    enabled: id !== "",
    staleTime: 0,
    refetchInterval: (query) => (query.state.data && pipelineActive(query.state.data) ? pollInterval : false),
  });
}

// useJob loads one job, again and again while it runs.
export function useJob(id: string) {
  const pipelines = useClient(PipelineService);
  return useQuery({
    queryKey: jobKey(id),
    queryFn: ({ signal }) =>
      pipelines.getJob({ id }, { signal }).then((res): Job => {
        if (!res.job) {
          throw new Error("the server sent no job");
        }
        return res.job;
      }),
    staleTime: 0,
    refetchInterval: (query) => (query.state.data && isActive(query.state.data.state) ? pollInterval : false),
  });
}

// useArtifacts lists a job's artifacts.
export function useArtifacts(jobId: string, enabled: boolean) {
  const pipelines = useClient(PipelineService);
  return useQuery({
    queryKey: artifactsKey(jobId),
    queryFn: ({ signal }) => pipelines.listArtifacts({ jobId }, { signal }).then((res) => res.artifacts),
    enabled,
  });
}
