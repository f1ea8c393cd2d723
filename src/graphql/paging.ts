/** DEFAULT_PAGE_SIZE and MAX_PAGE_SIZE, for every connection field. */
export interface PageLimits {
  maxPageSize: number;
  defaultPageSize: number;
}
