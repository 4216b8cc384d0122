#pragma once
// Project files (.h3dp): a PartDocument on disk.
//
// Format version 1. All integers little-endian; floats IEEE-754 binary32.
//
//   offset 0   magic, 8 bytes: 'H' '3' 'D' 'P' 0x0D 0x0A 0x1A 0x0A
//              (the CR/LF/EOF bytes catch text-mode and truncating transfers)
//   offset 8   u32 format version (1)
//   offset 12  u32 header length H
//   offset 16  u32 CRC-32 (IEEE 802.3, as zlib) of the header bytes
//   offset 20  H bytes: the header, UTF-8 JSON:
//     { "format": 1, "writer": "h3dpart <version>",
//       "sourcePath": "<input mesh path as the document knows it>",
//       "mesh": { "embedded": bool, "vertices": N, "faces": M,
//                 "contentSha256": "<sha256 of the VERT then FACE payload bytes>",
//                 "fileSize": bytes, "fileSha256": "<hex>" },
//                 (fileSize and fileSha256: only for a referenced mesh, of its file)
//       "options": { "seed": u64, "resolution": int, "postprocess": bool },
//       "models": [ { "name": "...", "sha256": "..." } ],
//       "parts": [ { "name": "...", "color": [r, g, b] (0..255), "visible": bool,
//                    "box": { "lo": [x,y,z], "hi": [x,y,z] } or null (empty box),
//                    "boxEdited": bool, "generated": bool } ],
//       "recoveryOf": "<project path>"  // only in recovery snapshots, may be ""
//     }
//   then sections until END, each:
//     4 bytes tag, u64 payload length L, u32 CRC-32 of the payload, L bytes payload.
//     "VERT"  embedded mesh only: N x 3 float32 (x, y, z)
//     "FACE"  embedded mesh only: M x 3 u32 vertex indices
//     "LABL"  M x int32 face labels (-1 = unassigned, else a part index)
//     "GMSH"  one per part with "generated": true, in part order:
//             u32 part index, u32 vertex count n, u32 face count m,
//             n x 3 float32, m x 3 u32
//     "END "  L = 0, last.
//   Readers skip sections with unknown tags (if their CRC is right), so a
//   later version may add sections without a format bump; a change that old
//   readers would misread bumps the format version.
//
// A referenced mesh is re-imported on open from "sourcePath" (a relative path
// is relative to the project's folder), else from a file of the same name
// beside the project (moved together; the document's source path becomes that
// file). If no such file is left, its size or SHA-256 differ, or it imports to
// a different mesh, open fails with an InputError that says so.
//
// Errors: InputError (naming the project file) for anything unreadable,
// newer-format, corrupt or truncated; OutputError for failed writes (the write
// is atomic: the old file or the complete new one, never a partial file).
#include <filesystem>
#include <string>

#include "h3dpart/document.h"

namespace h3d {

inline constexpr int kProjectFormatVersion = 1;
inline constexpr const char* kProjectExtension = ".h3dp";

struct ProjectSaveOptions {
  bool embedMesh = true;   // false: reference sourcePath (must exist) by size and hash
  std::string recoveryOf;  // recovery snapshots: the project they belong to
};

struct ProjectInfo {
  int formatVersion = 0;
  std::string writer;
  bool meshEmbedded = false;
  std::string recoveryOf;
};

void saveProject(const std::filesystem::path& file, const PartDocument& document,
                 const ProjectSaveOptions& options = {});

PartDocument openProject(const std::filesystem::path& file, ProjectInfo* info = nullptr);

}  // namespace h3d
