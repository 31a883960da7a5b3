export { type Codec, CodecError, checkCodec, jsonCodec } from './codec.js'
export {
  escapeName,
  MAX_NAME_LENGTH,
  type NodeNames,
  nodeNames,
  runBucket,
  unescapeName,
} from './names.js'
